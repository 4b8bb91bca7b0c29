import { performance } from 'node:perf_hooks';
import { errorMessage, systemClock, type Clock } from '../../core/index.js';
import type { Site, SiteDescription, SiteProbe } from './site.js';

/** What one site has done since it was opened: the raw figures of the "which sites are behind" report. */
export interface SiteStats {
  readonly site: string;
  readonly bytesWritten: number;
  readonly bytesRead: number;
  /** Completed operations by kind (`put` counts `putIfAbsent` too). */
  readonly ops: { readonly put: number; readonly get: number; readonly list: number; readonly delete: number };
  readonly failures: number;
  /** Milliseconds spent in successful writes and reads, summed over operations (they may overlap). */
  readonly writeMs: number;
  readonly readMs: number;
  /** Operations started and not yet finished, and the bytes they carry: the site's backlog. */
  readonly inFlight: number;
  readonly inFlightBytes: number;
  readonly lastOkAt: Date | null;
  readonly lastFailureAt: Date | null;
  readonly lastError: string | null;
  readonly lastErrorCode: string | null;
}

/** One line of the site report. */
export interface SiteStanding {
  readonly site: string;
  /** `failing`: its last operation failed; `slow`: writes under half the median site's speed or a large backlog. */
  readonly state: 'ok' | 'slow' | 'failing';
  /** Write throughput in MiB/s over the time spent writing, or null before any write. */
  readonly writeMiBps: number | null;
  readonly inFlightBytes: number;
  readonly reason: string | null;
}

type OpKind = 'put' | 'get' | 'list' | 'delete';

/**
 * A site that counts bytes, operations, time and failures and passes everything through
 * unchanged. Wrap each site once when the vault opens.
 *
 * @example
 * const metered = new MeteredSite(openSite(spec));
 * await metered.put('config', bytes);
 * metered.stats().bytesWritten; // bytes.length
 */
export class MeteredSite implements Site {
  readonly name: string;
  private readonly inner: Site;
  private readonly clock: Clock;
  private bytesWritten = 0;
  private bytesRead = 0;
  private readonly ops = { put: 0, get: 0, list: 0, delete: 0 };
  private failures = 0;
  private writeMs = 0;
  private readMs = 0;
  private inFlight = 0;
  private inFlightBytes = 0;
  private lastOkAt: Date | null = null;
  private lastFailureAt: Date | null = null;
  private lastError: string | null = null;
  private lastErrorCode: string | null = null;

  constructor(inner: Site, clock: Clock = systemClock) {
    this.inner = inner;
    this.name = inner.name;
    this.clock = clock;
  }

  describe(): SiteDescription {
    return this.inner.describe();
  }
  probe(): Promise<SiteProbe> {
    return this.inner.probe();
  }
  close(): Promise<void> {
    return this.inner.close();
  }

  put(name: string, bytes: Uint8Array): Promise<void> {
    return this.measure('put', bytes.length, () => this.inner.put(name, bytes), () => bytes.length);
  }
  putIfAbsent(name: string, bytes: Uint8Array): Promise<boolean> {
    return this.measure('put', bytes.length, () => this.inner.putIfAbsent(name, bytes), (taken) => (taken ? bytes.length : 0));
  }
  get(name: string): Promise<Uint8Array | null> {
    return this.measure('get', 0, () => this.inner.get(name), (got) => got?.length ?? 0);
  }
  list(prefix: string): Promise<string[]> {
    return this.measure('list', 0, () => this.inner.list(prefix), () => 0);
  }
  delete(name: string): Promise<void> {
    return this.measure('delete', 0, () => this.inner.delete(name), () => 0);
  }

  stats(): SiteStats {
    return {
      site: this.name,
      bytesWritten: this.bytesWritten,
      bytesRead: this.bytesRead,
      ops: { ...this.ops },
      failures: this.failures,
      writeMs: this.writeMs,
      readMs: this.readMs,
      inFlight: this.inFlight,
      inFlightBytes: this.inFlightBytes,
      lastOkAt: this.lastOkAt,
      lastFailureAt: this.lastFailureAt,
      lastError: this.lastError,
      lastErrorCode: this.lastErrorCode,
    };
  }

  private async measure<T>(kind: OpKind, outgoing: number, op: () => Promise<T>, moved: (value: T) => number): Promise<T> {
    const started = performance.now();
    this.inFlight++;
    this.inFlightBytes += outgoing;
    try {
      const value = await op();
      const ms = performance.now() - started;
      this.ops[kind]++;
      this.lastOkAt = this.clock.now();
      if (kind === 'put') {
        this.bytesWritten += moved(value);
        this.writeMs += ms;
      } else if (kind === 'get') {
        this.bytesRead += moved(value);
        this.readMs += ms;
      }
      return value;
    } catch (err) {
      this.failures++;
      this.lastFailureAt = this.clock.now();
      this.lastError = errorMessage(err);
      this.lastErrorCode = typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : null;
      throw err;
    } finally {
      this.inFlight--;
      this.inFlightBytes -= outgoing;
    }
  }
}

/**
 * Ranks sites for the report: failing first, then slow, each with the reason. A site is slow
 * when its write speed is under half the median of the sites that wrote, or when its backlog
 * exceeds `backlogBytes` (default 64 MiB). Pure: give it `stats()` of every site.
 */
export function siteStandings(all: readonly SiteStats[], backlogBytes = 64 * 1024 * 1024): SiteStanding[] {
  const speeds = all.map(writeMiBps);
  const known = speeds.filter((s): s is number => s !== null).sort((a, b) => a - b);
  const median = known.length > 0 ? known[Math.floor((known.length - 1) / 2)]! : null;
  const lines = all.map((s, i): SiteStanding => {
    const speed = speeds[i]!;
    const failing = s.lastFailureAt !== null && (s.lastOkAt === null || s.lastFailureAt.getTime() >= s.lastOkAt.getTime());
    if (failing) return { site: s.site, state: 'failing', writeMiBps: speed, inFlightBytes: s.inFlightBytes, reason: s.lastError };
    if (s.inFlightBytes > backlogBytes) {
      return { site: s.site, state: 'slow', writeMiBps: speed, inFlightBytes: s.inFlightBytes, reason: `${mib(s.inFlightBytes)} MiB still being written` };
    }
    if (speed !== null && median !== null && known.length > 1 && speed < median / 2) {
      return { site: s.site, state: 'slow', writeMiBps: speed, inFlightBytes: s.inFlightBytes, reason: `writes at ${speed.toFixed(1)} MiB/s, median site ${median.toFixed(1)} MiB/s` };
    }
    return { site: s.site, state: 'ok', writeMiBps: speed, inFlightBytes: s.inFlightBytes, reason: null };
  });
  const rank = { failing: 0, slow: 1, ok: 2 } as const;
  return lines.sort((a, b) => rank[a.state] - rank[b.state] || a.site.localeCompare(b.site));
}

function writeMiBps(s: SiteStats): number | null {
  return s.writeMs > 0 && s.bytesWritten > 0 ? s.bytesWritten / (1024 * 1024) / (s.writeMs / 1000) : null;
}

function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}
