export { ApiClient, errorPaths, expectProblem, newOrderBody } from './client';
export {
  CONTRACT_BODY_LIMIT_BYTES,
  describeOrderApiContract,
  steppingClock,
  type OrderServiceFactory,
} from './contract';
export { FakeOrderService } from './fake-order-service';
