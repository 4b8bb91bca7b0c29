// For tests: a local site whose writes wait until released (a stalled mount, a saturated WAN link).
import { LocalDirBlobStore } from './repo/index.js';

export class StalledSite extends LocalDirBlobStore {
  private open!: () => void;
  private readonly gate = new Promise<void>((r) => (this.open = r));
  /** Writes waiting on the gate or still writing. */
  pending = 0;

  release(): void {
    this.open();
  }

  override async put(name: string, bytes: Uint8Array): Promise<void> {
    this.pending++;
    await this.gate;
    await super.put(name, bytes);
    this.pending--;
  }
}
