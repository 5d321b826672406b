import { describeOrderApiContract } from './testing/contract';
import { FakeOrderService } from './testing/fake-order-service';

// The API contract against the in-memory service; an integration test runs it against PostgreSQL.
describeOrderApiContract(() => new FakeOrderService());
