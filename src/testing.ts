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
export type {
  TimestampedWebhookRequestOptions,
  WebhookBody,
  WebhookRequestOptions,
} from './testing/webhook-requests/_shared.js';
export {
  type GumroadPingRequestOptions,
  type GumroadSaleInput,
  gumroadPingRequest,
  gumroadSaleFields,
} from './testing/webhook-requests/gumroad.js';
export {
  type LemonSqueezyOrderInput,
  type LemonSqueezySubscriptionInput,
  type LemonSqueezySubscriptionPaymentInput,
  type LemonSqueezyWebhookRequestOptions,
  lemonSqueezyOrderCreatedEvent,
  lemonSqueezySubscriptionCreatedEvent,
  lemonSqueezySubscriptionPaymentEvent,
  lemonSqueezyWebhookRequest,
} from './testing/webhook-requests/lemon-squeezy.js';
export {
  type PaddleTransactionInput,
  paddleTransactionCompletedEvent,
  paddleWebhookRequest,
} from './testing/webhook-requests/paddle.js';
export {
  defaultPayPalTestCertUrl,
  type PayPalCaptureInput,
  type PayPalTestCredentials,
  type PayPalWebhookRequestOptions,
  paypalCaptureCompletedEvent,
  paypalTestCredentials,
  paypalWebhookRequest,
  type WebCryptoKey,
} from './testing/webhook-requests/paypal.js';
export {
  type StripeCheckoutCompletedInput,
  type StripeEventOptions,
  type StripeTestEvent,
  stripeCheckoutCompletedEvent,
  stripeEvent,
  stripeWebhookRequest,
} from './testing/webhook-requests/stripe.js';
