/**
 * The rate-limit key of both examples (each carries its own copy, as they are deployed apart):
 * `clientKey` keys IPv6 clients by their /64 and IPv4 (mapped or not) by the address, on top of
 * `ipv6Groups`, a small IPv6 parser. Both copies run the same cases.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/ensure-built.js';

beforeAll(ensureBuilt, 200_000);

const copies = {
  'examples/express/rate-limit.ts': () => import('../../examples/express/rate-limit.js'),
  'examples/cloudflare-workers/src/http.ts': () => import('../../examples/cloudflare-workers/src/http.js'),
};

describe.each(Object.entries(copies))('%s', (_, load) => {
  it('expands IPv6 addresses: ::, a trailing IPv4 part, a zone id, any case', async () => {
    const { ipv6Groups } = await load();
    const cases: [string, number[]][] = [
      ['::', [0, 0, 0, 0, 0, 0, 0, 0]],
      ['::1', [0, 0, 0, 0, 0, 0, 0, 1]],
      ['1::', [1, 0, 0, 0, 0, 0, 0, 0]],
      ['1:2:3:4:5:6:7::', [1, 2, 3, 4, 5, 6, 7, 0]],
      ['2001:db8::ff00:42:8329', [0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329]],
      ['2001:0DB8:0000:0000:0000:FF00:0042:8329', [0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329]],
      ['::ffff:192.0.2.128', [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x280]],
      ['64:ff9b::192.0.2.33', [0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x221]],
      ['1:2:3:4:5:6:1.2.3.4', [1, 2, 3, 4, 5, 6, 0x102, 0x304]],
      ['fe80::1%eth0', [0xfe80, 0, 0, 0, 0, 0, 0, 1]],
    ];
    for (const [ip, groups] of cases) expect([ip, ipv6Groups(ip)]).toEqual([ip, groups]);
  });

  it('refuses what is not an IPv6 address', async () => {
    const { ipv6Groups } = await load();
    const invalid = [
      '',
      'unknown',
      '198.51.100.7',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7:8::',
      '1:2:3:4:5:6:7:8:9::1',
      '1::2::3',
      ':1:2:3:4:5:6:7',
      '1:::2',
      '12345::',
      'g::',
      '::ffff:1.2.3.256',
      '::1.2.3.4.5',
      '1.2.3.4::',
      '1:2:3:4:5:6:7:1.2.3.4',
    ];
    for (const ip of invalid) expect([ip, ipv6Groups(ip)]).toEqual([ip, undefined]);
  });

  it('keys IPv6 clients by their /64, IPv4 and IPv4-mapped IPv6 by the IPv4 address', async () => {
    const { clientKey } = await load();
    const cases: [string, string][] = [
      ['198.51.100.7', '198.51.100.7'],
      ['::ffff:198.51.100.7', '198.51.100.7'],
      ['::FFFF:c633:6407', '198.51.100.7'],
      ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
      ['2001:DB8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
      ['2001:0db8:0001:0002:0:0:0:9%en0', '2001:db8:1:2::/64'],
      ['2001:db8:1:3::1', '2001:db8:1:3::/64'],
      ['::1', '0:0:0:0::/64'],
      ['unknown', 'unknown'],
    ];
    for (const [ip, key] of cases) expect([ip, clientKey(ip)]).toEqual([ip, key]);
  });
});
