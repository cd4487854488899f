import { describe, expect, it } from 'vitest';
import { formatMinorUnits } from '../../src/domain/currency.js';
import { isLicenseKitError } from '../../src/index.js';
import { normalizeStripeEvent } from '../../src/normalizers/stripe.js';

// Stripe writes ISK amounts in hundredths of a króna and MGA amounts in whole ariary
// (docs.stripe.com/currencies, special cases and zero-decimal list); ISO 4217, whose minor units
// `Purchase.amount` holds, gives ISK no decimals and MGA two.

function checkoutCompleted(amountTotal: number, currency: string) {
  return {
    id: 'evt_isk_1',
    object: 'event',
    api_version: '2025-03-31.basil',
    created: 1_740_823_200,
    livemode: true,
    type: 'checkout.session.completed',
    data: {
      object: {
        id: 'cs_isk_1',
        object: 'checkout.session',
        mode: 'payment',
        status: 'complete',
        payment_status: 'paid',
        amount_total: amountTotal,
        currency,
        customer: 'cus_1',
        customer_email: null,
        customer_details: { email: 'buyer@example.is', name: 'Jón' },
        metadata: { product_id: 'app-pro' },
        payment_intent: 'pi_isk_1',
        subscription: null,
      },
    },
  };
}

function chargeRefunded(amount: number, currency: string) {
  return {
    id: 'evt_isk_2',
    object: 'event',
    created: 1_740_823_300,
    livemode: true,
    type: 'charge.refunded',
    data: {
      object: {
        id: 'ch_isk_1',
        object: 'charge',
        amount,
        amount_refunded: amount,
        refunded: true,
        currency,
        customer: 'cus_1',
        payment_intent: 'pi_isk_1',
        billing_details: { email: 'buyer@example.is', name: 'Jón' },
        receipt_email: null,
        metadata: {},
      },
    },
  };
}

describe('Stripe amounts in currencies whose Stripe unit is not the ISO 4217 minor unit', () => {
  it('a 5,000 kr checkout (Stripe amount_total 500000) is recorded as 5000 minor units of ISK', () => {
    const event = normalizeStripeEvent(checkoutCompleted(500_000, 'isk'));
    expect(event?.purchase.currency).toBe('ISK');
    expect(event?.purchase.amount).toBe(5_000);
    expect(formatMinorUnits(event!.purchase.amount, 'ISK')).toBe('5000');
  });

  it('the refund of that charge is 5000 minor units of ISK too', () => {
    const event = normalizeStripeEvent(chargeRefunded(500_000, 'isk'));
    expect(event?.type).toBe('refund');
    expect(event?.purchase.amount).toBe(5_000);
  });

  it('MGA (Stripe: zero-decimal; ISO 4217: 2 decimals): 10,000 Ar (Stripe 10000) is 1000000 minor units', () => {
    const event = normalizeStripeEvent(checkoutCompleted(10_000, 'mga'));
    expect(formatMinorUnits(event!.purchase.amount, 'MGA')).toBe('10000.00');
  });

  it('an ISK amount that is not whole krónur is refused, not rounded', () => {
    expect(() => normalizeStripeEvent(checkoutCompleted(500_050, 'isk'))).toThrow(
      expect.toSatisfy((e) => isLicenseKitError(e, 'NORMALIZATION_FAILED')),
    );
  });

  it('control: JPY (zero-decimal in both Stripe and ISO 4217) is passed through unchanged', () => {
    expect(normalizeStripeEvent(checkoutCompleted(5_000, 'jpy'))?.purchase.amount).toBe(5_000);
  });
});
