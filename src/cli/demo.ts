/**
 * The demo story in one process (`licensekit demo`, and `scripts/demo.ts`): the main job of
 * licensekit on embedded defaults, start to finish. File storage in a fresh temp directory
 * (removed afterwards; your data directory is never touched), the console mailer, a sale becomes
 * a license, two devices try it, a refund revokes it, and the books are printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleMailer, LicenseManager, type PurchaseEvent } from '../index.js';
import { fileStorage } from '../node.js';

/** Runs the demo story, printing it to stdout. */
export async function runDemo(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'licensekit-demo-'));
  const say = (line: string) => console.log(`\n▸ ${line}`);

  try {
    const manager = new LicenseManager({
      storage: fileStorage({ dir }),
      mailer: consoleMailer(),
      plans: () => ({ durationDays: 365, maxDevices: 1, graceDays: 7 }),
    });
    say(`Data lives in ${dir} (licenses.json + purchases.jsonl).`);

    const sale: PurchaseEvent = {
      type: 'sale',
      eventId: 'gumroad:demo-sale-1:sale',
      occurredAt: new Date().toISOString(),
      purchase: {
        source: 'gumroad',
        saleId: 'demo-sale-1',
        email: 'ada@example.com',
        customerName: 'Ada Lovelace',
        customerId: null,
        productId: 'image-weaver',
        productName: 'Image Weaver',
        tier: 'Lifetime',
        amount: 2999,
        currency: 'USD',
        quantity: 1,
        purchasedAt: new Date().toISOString(),
        isTest: false,
        isRecurring: false,
        subscriptionId: null,
        sourceLicenseKey: null,
      },
    };
    say('A Gumroad sale arrives. The manager stores a license and emails the key:');
    const { action, license } = await manager.handlePurchaseEvent(sale);
    console.log(`  → ${action}: ${license!.key}`);

    say('Gumroad retries the same ping. Nothing new happens:');
    console.log(`  → ${(await manager.handlePurchaseEvent(sale)).action}`);

    say("Ada's laptop validates the key and takes the one seat:");
    const laptop = await manager.validate(license!.key, { hardwareId: 'ada-laptop', deviceName: 'Laptop' });
    console.log(`  → ${laptop.code} (valid: ${laptop.valid})`);

    say('Her desktop tries too, but the seat is taken:');
    const desktop = await manager.validate(license!.key, { hardwareId: 'ada-desktop' });
    console.log(`  → ${desktop.code}: ${desktop.detail}`);

    say('She frees the laptop, and the desktop gets in:');
    await manager.deactivateDevice(license!.key, 'ada-laptop', { actor: 'ada@example.com' });
    console.log(`  → ${(await manager.validate(license!.key, { hardwareId: 'ada-desktop' })).code}`);

    say('A week later she asks for a refund. The refund ping revokes the key:');
    const refund: PurchaseEvent = { ...sale, type: 'refund', eventId: 'gumroad:demo-sale-1:refund' };
    console.log(`  → ${(await manager.handlePurchaseEvent(refund)).action}`);
    console.log(
      `  → validate: ${(await manager.validate(license!.key, { hardwareId: 'ada-desktop' })).code}`,
    );

    say('The books, per currency in minor units:');
    const stats = await manager.audit.getPurchaseStats();
    console.log(`  purchases ${stats.totalPurchases}, refunds ${stats.totalRefunds}`);
    for (const [currency, money] of Object.entries(stats.revenue)) {
      console.log(`  ${currency}: gross ${money.gross}, refunded ${money.refunded}, net ${money.net}`);
    }

    say('And the audit trail:');
    for await (const record of manager.audit.query()) {
      const what =
        record.kind === 'purchase'
          ? `${record.event.type} from ${record.event.purchase.source}`
          : record.action;
      console.log(`  ${record.recordedAt}  ${what}`);
    }
    await manager.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
