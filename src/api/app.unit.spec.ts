import { describeOrderApiContract } from '../../test/api/contract';
import { FakeOrderService } from '../../test/api/fake-order-service';

// The API contract against the in-memory service; an integration test runs it against PostgreSQL.
describeOrderApiContract(() => new FakeOrderService());
