import { type AuditQuery, purchaseEventTypes } from '../index.js';
import { parseChoice } from './options.js';

/** The filter options `purchases` and `export-csv` share (with `--since`/`--until` for the window). */
export const purchaseFilterOptions = {
  source: { type: 'string' },
  email: { type: 'string' },
  product: { type: 'string' },
  type: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  'include-test': { type: 'boolean' },
} as const;

/** The audit query those options describe; `--type` must be a purchase event type. */
export function purchaseQuery(values: {
  source?: string;
  email?: string;
  product?: string;
  type?: string;
  'include-test'?: boolean;
}): AuditQuery {
  return {
    source: values.source,
    email: values.email?.trim().toLowerCase(),
    productId: values.product,
    type: values.type === undefined ? undefined : parseChoice('type', values.type, purchaseEventTypes),
    includeTest: values['include-test'] === true,
  };
}
