import { formatMinorUnits } from '../../index.js';

/** Integer minor units as `29.99 USD`: the currency's own decimals, the code after the number. */
export function money(amount: number, currency: string): string {
  return `${formatMinorUnits(amount, currency)} ${currency}`;
}

/**
 * Amounts in several currencies as `133.50 EUR, 4800 JPY`, in code order; `—` when empty.
 * Each stays in its own currency: amounts are never added across currencies.
 */
export function moneyList(amounts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(amounts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '—' : entries.map(([currency, amount]) => money(amount, currency)).join(', ');
}
