/**
 * Every error code licensekit throws, each with what it means (a type only: codes are plain
 * strings). Callers branch on `error.code`, never on message text. Expected outcomes (an expired or
 * unknown key) are validation results, not errors.
 */
export interface LicenseKitErrorCodes {
  /** Input failed validation at a boundary (a License, Purchase or audit record). */
  INVALID_INPUT: true;
  /** An admin action named a license key that does not exist. */
  LICENSE_NOT_FOUND: true;
  /**
   * The `plans` function returned no valid plan: the server's configuration, not the request, is
   * wrong (a webhook answers 500, so the store retries once it is fixed).
   */
  INVALID_PLAN: true;
  /** A storage object lacks methods the port requires. */
  STORAGE_MISSING_METHODS: true;
  /** A data file does not parse or does not match its schema; it was left untouched. */
  STORAGE_CORRUPT: true;
  /** A data file was written by a newer licensekit (unknown format version). */
  STORAGE_UNSUPPORTED_VERSION: true;
  /**
   * A read or write failed (disk full, permissions, fsync error). The write was rolled back, except
   * when only making it durable failed (the directory fsync, or a rollback that failed too): then the
   * data may be present. Retrying is safe either way, since inserts and appends are idempotent.
   */
  STORAGE_IO: true;
  /** The store's cross-process lock could not be taken within the timeout. */
  STORAGE_LOCK_TIMEOUT: true;
  /** The store was used after `close()`. */
  STORAGE_CLOSED: true;
  /** A record is larger than the store accepts; nothing was written. */
  RECORD_TOO_LARGE: true;
  /** The license email could not be sent; the license is stored (see `MailDeliveryError.license`). */
  MAIL_FAILED: true;
  /** A webhook's signature, token or seller is missing or wrong (HTTP 401). */
  WEBHOOK_UNAUTHORIZED: true;
  /** A webhook's timestamp is outside the tolerance (replay or clock skew; HTTP 401). */
  WEBHOOK_TIMESTAMP_OUT_OF_RANGE: true;
  /**
   * A webhook could not be checked because what verifies it failed, e.g. PayPal's certificate could
   * not be fetched (HTTP 503, so the store retries). Not a verdict on the signature.
   */
  WEBHOOK_VERIFIER_UNAVAILABLE: true;
  /** A store's payload does not have the fields a purchase event needs (HTTP 400). */
  NORMALIZATION_FAILED: true;
  /** A webhook body is larger than 1 MiB (HTTP 413). */
  WEBHOOK_PAYLOAD_TOO_LARGE: true;
  /** A webhook's content type is not the one its store sends (HTTP 415). */
  WEBHOOK_UNSUPPORTED_MEDIA_TYPE: true;
}

/** Union of all error code strings (see {@link LicenseKitErrorCodes} for what each means). */
export type LicenseKitErrorCode = keyof LicenseKitErrorCodes;

/** One problem found while validating input: where (a property path) and what. */
export interface ValidationIssue {
  path: string;
  message: string;
}

const brand: unique symbol = Symbol.for('licensekit.error') as never;

/** Options shared by every licensekit error. */
export interface LicenseKitErrorOptions {
  cause?: unknown;
  issues?: readonly ValidationIssue[];
}

/**
 * The one error type licensekit throws. `code` says what happened; `issues` lists validation
 * problems when there are any. Messages never contain secrets.
 */
export class LicenseKitError extends Error {
  override name = 'LicenseKitError';
  readonly code: LicenseKitErrorCode;
  readonly issues: readonly ValidationIssue[];
  readonly [brand] = true;

  constructor(code: LicenseKitErrorCode, message: string, options: LicenseKitErrorOptions = {}) {
    super(`[licensekit] ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options.issues ?? [];
  }
}

/**
 * A storage adapter failed: a file could not be read or written, was corrupt, the lock timed out, or
 * the store was used after `close()`. `cause` carries the underlying error when there is one.
 */
export class StorageError extends LicenseKitError {
  override name = 'StorageError';
}

/**
 * True when `error` is a licensekit error (optionally with the given code). Works across duplicate
 * copies of the package because it checks a global symbol brand, not `instanceof`.
 */
export function isLicenseKitError(error: unknown, code?: LicenseKitErrorCode): error is LicenseKitError {
  if (typeof error !== 'object' || error === null || (error as { [brand]?: unknown })[brand] !== true) {
    return false;
  }
  return code === undefined || (error as LicenseKitError).code === code;
}

/**
 * A webhook failed authentication (bad or missing signature, token or seller, or a stale timestamp),
 * or could not be checked at all (`WEBHOOK_VERIFIER_UNAVAILABLE`).
 */
export class WebhookVerificationError extends LicenseKitError {
  override name = 'WebhookVerificationError';
}

/** A store payload could not be turned into a purchase event; `issues` says where and why. */
export class NormalizationError extends LicenseKitError {
  override name = 'NormalizationError';
}
