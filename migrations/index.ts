import { EventStore1763900000000 } from './1763900000000-EventStore';
import { CrudExample1763900000001 } from './1763900000001-CrudExample';
import { Projections1763900000002 } from './1763900000002-Projections';
import { Reporting1763900000003 } from './1763900000003-Reporting';
import { ApiKeys1763900000010 } from './1763900000010-ApiKeys';
import { LeastPrivilege1763900000020 } from './1763900000020-LeastPrivilege';
import { IdempotencyScope1763900000030 } from './1763900000030-IdempotencyScope';
import { PaymentsByOrder1763900000031 } from './1763900000031-PaymentsByOrder';
import { RelayParking1763900000032 } from './1763900000032-RelayParking';
import { BackfillCheckpoints1763900000040 } from './1763900000040-BackfillCheckpoints';
import { Sagas1763900000050 } from './1763900000050-Sagas';
import { SagaAppliedRetention1763900000055 } from './1763900000055-SagaAppliedRetention';

/** Every migration, in order. Listed explicitly so they load the same under tsx, jest and compiled code. */
export const MIGRATIONS = [
  EventStore1763900000000,
  CrudExample1763900000001,
  Projections1763900000002,
  Reporting1763900000003,
  ApiKeys1763900000010,
  LeastPrivilege1763900000020,
  IdempotencyScope1763900000030,
  PaymentsByOrder1763900000031,
  RelayParking1763900000032,
  BackfillCheckpoints1763900000040,
  Sagas1763900000050,
  SagaAppliedRetention1763900000055,
];
