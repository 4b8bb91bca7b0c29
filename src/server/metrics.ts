/**
 * The counters operators watch, as Prometheus text (`/metrics`) and as JSON for the
 * console's ingest health page. Monotonic since the process started.
 */
export class IngestMetrics {
  received = 0;
  parsed = 0;
  failed = 0;
  detected = 0;
  alerts = 0;
  /** Damaged spool records skipped (each also logged with where). */
  spoolDamaged = 0;
  /** Messages stored quarantined: the database or a detector could not take them as parsed. */
  quarantined = 0;
  /** HTTP ingest requests refused (bad body) — their lines are not acknowledged. */
  httpRejected = 0;
  private readonly startedAt = Date.now();
  /** (time, received, detected) samples for rates over the last minute. */
  private readonly samples: Array<[number, number, number]> = [];

  sample(now = Date.now()): void {
    this.samples.push([now, this.received, this.detected]);
    while (this.samples.length > 0 && now - this.samples[0]![0] > 60_000) this.samples.shift();
  }

  /** Events/s received and detected over the last ~10 seconds. */
  rates(now = Date.now()): { received: number; detected: number } {
    const old = this.samples.find((s) => now - s[0] <= 10_000) ?? [this.startedAt, 0, 0];
    const dt = Math.max((now - old[0]) / 1000, 0.001);
    return { received: (this.received - old[1]) / dt, detected: (this.detected - old[2]) / dt };
  }

  prometheus(gauges: Record<string, number> = {}): string {
    const lines: string[] = [];
    const counter = (name: string, help: string, v: number): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${v}`);
    };
    counter('lianfang_events_received_total', 'Messages accepted into the spool (acknowledged).', this.received);
    counter('lianfang_events_parsed_total', 'Messages parsed into events.', this.parsed);
    counter('lianfang_events_failed_total', 'Messages that could not be parsed (kept with their error).', this.failed);
    counter('lianfang_events_detected_total', 'Events that went through detection and were stored.', this.detected);
    counter('lianfang_alerts_total', 'Detections raised (before grouping into alerts).', this.alerts);
    counter('lianfang_spool_damaged_total', 'Damaged spool records skipped.', this.spoolDamaged);
    counter('lianfang_events_quarantined_total', 'Messages stored escaped and undetected because they could not be stored or detected as parsed.', this.quarantined);
    counter('lianfang_http_ingest_rejected_total', 'HTTP ingest requests refused.', this.httpRejected);
    for (const [name, v] of Object.entries(gauges)) lines.push(`# TYPE ${name} gauge`, `${name} ${v}`);
    return `${lines.join('\n')}\n`;
  }
}
