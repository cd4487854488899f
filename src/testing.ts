export { type FakeClock, type FakeClockStep, fakeClock } from './testing/fake-clock.js';
export {
  deviceFixture,
  licenseFixture,
  licenseRecordFixture,
  type PurchaseEventFixtureOverrides,
  type PurchaseRecordFixtureOverrides,
  purchaseEventFixture,
  purchaseRecordFixture,
} from './testing/fixtures.js';
export { type MemoryMailer, type MemoryMailerOptions, memoryMailer } from './testing/memory-mailer.js';
export {
  type ConformanceRunner,
  runStorageConformance,
  type StorageConformanceCase,
  type StorageConformanceCaseId,
  type StorageConformanceContext,
  type StorageConformanceOptions,
  storageConformanceCases,
} from './testing/storage-conformance.js';
