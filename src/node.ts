export type { FileLicenseStoreOptions } from './adapters/node/file-license-store.js';
export { type FileStorageOptions, fileStorage } from './adapters/node/file-storage.js';
export {
  type JsonFileLicenseStoreOptions,
  jsonFileLicenseStore,
} from './adapters/node/json-file-license-store.js';
export { type JsonlLicenseStoreOptions, jsonlLicenseStore } from './adapters/node/jsonl-license-store.js';
export { type JsonlPurchaseLogOptions, jsonlPurchaseLog } from './adapters/node/jsonl-purchase-log.js';
export {
  type ExportCsvToFileOptions,
  type ExportCsvToFileResult,
  exportCsvToFile,
} from './audit/node/export-csv-to-file.js';
