import { describe, expect, it } from 'vitest';
import { defaultLicenseEmailTemplate, escapeHtml, type LicenseEmailContext } from '../../src/index.js';
import { licenseFixture, purchaseEventFixture } from '../../src/testing.js';

const xssName = '<script>alert(1)</script>';
const attrBreak = '"><img src=x onerror=alert(1)>';

function context(overrides: Partial<LicenseEmailContext> = {}): LicenseEmailContext {
  return {
    license: licenseFixture({
      key: 'IWC-7K3QF-ABCDE-FGHJK',
      email: 'ada@example.com',
      customerName: 'Ada Lovelace',
      maxDevices: 3,
      expiresAt: null,
    }),
    productName: 'Image Converter',
    purchase: null,
    ...overrides,
  };
}

describe('escapeHtml', () => {
  it.each([
    ['&', '&amp;'],
    ['<', '&lt;'],
    ['>', '&gt;'],
    ['"', '&quot;'],
    ["'", '&#39;'],
  ])('escapes %s', (raw, escaped) => {
    expect(escapeHtml(`a${raw}b`)).toBe(`a${escaped}b`);
  });

  it('escapes ampersands first, so entities are not double-decoded', () => {
    expect(escapeHtml('&lt;')).toBe('&amp;lt;');
    expect(escapeHtml(xssName)).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('leaves ordinary text alone', () => {
    expect(escapeHtml('Zoë, 10/10 — fine')).toBe('Zoë, 10/10 — fine');
  });
});

describe('defaultLicenseEmailTemplate', () => {
  it('writes the exact subject and text for a perpetual license', () => {
    const email = defaultLicenseEmailTemplate(context());
    expect(email.subject).toBe('Your license key for Image Converter');
    expect(email.text).toBe(
      [
        'Hi Ada Lovelace,',
        '',
        'Thank you for buying Image Converter. Here is your license key:',
        '',
        'IWC-7K3QF-ABCDE-FGHJK',
        '',
        'Licensed to: ada@example.com',
        'You can activate it on up to 3 devices.',
        'This license never expires.',
        '',
        'Please keep this email: you will need the key if you reinstall or move to a new computer.',
        '',
      ].join('\n'),
    );
    expect(email.from).toBeUndefined();
    expect(email.replyTo).toBeUndefined();
  });

  it('formats the expiry as a UTC date and says "device" for one seat', () => {
    const license = licenseFixture({ maxDevices: 1, expiresAt: '2025-03-31T23:30:00.000Z' });
    const email = defaultLicenseEmailTemplate(context({ license }));
    expect(email.text).toContain('This license expires on 2025-03-31 (UTC).');
    expect(email.text).toContain('You can activate it on up to 1 device.');
    expect(email.text).not.toContain('never expires');
    expect(email.html).toContain('2025-03-31');
  });

  it('says "never expires" in both parts for a perpetual license', () => {
    const email = defaultLicenseEmailTemplate(context());
    expect(email.text).toContain('never expires');
    expect(email.html).toContain('never expires');
  });

  it('gives the key on its own line', () => {
    const { license } = context();
    const email = defaultLicenseEmailTemplate(context({ license }));
    expect(email.text.split('\n')).toContain(license.key);
  });

  it('greets "there" when the customer name is empty or blank', () => {
    for (const customerName of ['', '   ']) {
      const email = defaultLicenseEmailTemplate(context({ license: licenseFixture({ customerName }) }));
      expect(email.text.startsWith('Hi there,\n')).toBe(true);
      expect(email.html).toContain('<p>Hi there,</p>');
    }
  });

  it('falls back to the product id when the product name is empty', () => {
    const license = licenseFixture({ productId: 'image-converter' });
    const email = defaultLicenseEmailTemplate(context({ license, productName: '' }));
    expect(email.subject).toBe('Your license key for image-converter');
  });

  it('accepts the purchase in the context', () => {
    const { purchase } = purchaseEventFixture();
    const email = defaultLicenseEmailTemplate(context({ purchase }));
    expect(email.subject).toBe('Your license key for Image Converter');
  });

  it('includes the key, email, product and devices in the HTML', () => {
    const { html } = defaultLicenseEmailTemplate(context());
    expect(html).toContain('IWC-7K3QF-ABCDE-FGHJK');
    expect(html).toContain('ada@example.com');
    expect(html).toContain('<strong>Image Converter</strong>');
    expect(html).toContain('up to 3 devices');
    expect(html).not.toMatch(/<img|<script|<a\s|https?:/i);
  });

  it.each([xssName, attrBreak])('escapes a hostile customer name and product name: %s', (payload) => {
    const license = licenseFixture({
      customerName: payload,
      email: `x${payload}@example.com`,
      key: `KEY-${payload}`,
    });
    const { html, subject } = defaultLicenseEmailTemplate(context({ license, productName: payload }));
    expect(html).toBeDefined();
    expect(html).not.toContain(payload);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    // `onerror=` may survive only as inert text, never inside a tag.
    const tagsText = (html ?? '').match(/<[^>]*>/g) ?? [];
    expect(tagsText.filter((tag) => /onerror|<img|<script/i.test(tag))).toEqual([]);
    expect(html).toContain(escapeHtml(payload));
    // Only the template's own markup is left: every tag name is one the template wrote.
    const tags = new Set(
      [...(html ?? '').matchAll(/<\/?([a-z!]+)/gi)].map((match) => match[1]?.toLowerCase()),
    );
    expect([...tags].sort()).toEqual(['!doctype', 'body', 'br', 'head', 'html', 'meta', 'p', 'strong']);
    expect(subject).toBe(`Your license key for ${payload}`);
  });

  it('strips CR/LF from the subject so a product name cannot inject headers', () => {
    const email = defaultLicenseEmailTemplate(context({ productName: 'App\r\nBcc: x@evil.example\n\rX: y' }));
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.subject).toBe('Your license key for App Bcc: x@evil.example X: y');
  });

  it('keeps other line separators and control characters out of the subject and greeting', () => {
    const license = licenseFixture({ customerName: 'Eve\r\nBcc: x@evil' });
    const email = defaultLicenseEmailTemplate(
      context({ license, productName: 'A\u2028B\u2029C\u0085D\u0000E\tF' }),
    );
    expect(email.subject).toBe('Your license key for A B C D E F');
    expect(email.text.split('\n')[0]).toBe('Hi Eve Bcc: x@evil,');
  });
});
