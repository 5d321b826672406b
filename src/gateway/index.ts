export type { Capture, CaptureRequest, PaymentGateway, Refund, RefundRequest } from './port';
export { createGatewayClient, type GatewayClientOptions } from './http-client';
export {
  buildFakeGateway,
  DECLINE_REASON,
  type FakeGateway,
  type Faults,
  type GatewayStats,
  type Outcome,
} from './fake';
export { ensureFakeGatewayKey, gatewayFor, gatewayKeyOf } from './from-config';
