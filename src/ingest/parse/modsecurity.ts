/**
 * ModSecurity v3 JSON audit log (`{"transaction":{…}}`) → ECS, after Elastic's modsecurity
 * integration: client and server endpoints, the request as `http.*`/`url.*`, the matched rules
 * under `modsec.audit`. Header names are matched case-insensitively (`Host`, `host`).
 */
import type { EventRecord, FieldValue } from '../../core/index.js';
import { resolveWall, setTimestamp } from './context.js';
import type { ParseContext } from './context.js';
import { addUnique, fillRelated, isRecord, put } from './fields.js';
import { canonicalIp } from './ip.js';
import { parseAsctime } from './time.js';
import { putUrl } from './url.js';

function str(value: FieldValue | undefined): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

function header(headers: FieldValue | undefined, name: string): string | undefined {
  if (!isRecord(headers)) return undefined;
  const lower = name.toLowerCase();
  for (const key of Object.keys(headers)) if (key.toLowerCase() === lower) return str(headers[key]);
  return undefined;
}

function asctime(text: string, ctx: ParseContext, event: EventRecord): void {
  const wall = parseAsctime(text);
  if (!wall) {
    ctx.problems.push(`ModSecurity time_stamp "${text.slice(0, 40)}" is not "Www Mmm dd hh:mm:ss yyyy"`);
    return;
  }
  setTimestamp(event, resolveWall(ctx, event, wall, undefined, () => `ModSecurity time_stamp "${text}"`));
}

export function parseModsecurity(transaction: EventRecord, event: EventRecord, ctx: ParseContext): void {
  put(event, 'event.kind', 'event');
  addUnique(event, 'event.category', 'web');
  addUnique(event, 'event.type', 'access');
  put(event, 'observer.vendor', 'ModSecurity');
  put(event, 'observer.product', 'ModSecurity');
  put(event, 'observer.type', 'waf');
  const time = str(transaction.time_stamp);
  if (time) asctime(time, ctx, event);
  put(event, 'source.ip', canonicalIp(str(transaction.client_ip) ?? ''));
  put(event, 'source.port', typeof transaction.client_port === 'number' ? transaction.client_port : undefined);
  put(event, 'destination.ip', canonicalIp(str(transaction.host_ip) ?? ''));
  const port = typeof transaction.host_port === 'number' ? transaction.host_port : undefined;
  put(event, 'destination.port', port);
  put(event, 'http.request.id', str(transaction.unique_id) ?? str(transaction.id));

  const request = isRecord(transaction.request) ? transaction.request : {};
  const response = isRecord(transaction.response) ? transaction.response : {};
  put(event, 'http.request.method', str(request.method));
  const version = request.http_version;
  put(event, 'http.version', typeof version === 'number' ? version.toFixed(1) : str(version));
  put(event, 'user_agent.original', header(request.headers, 'User-Agent'));
  put(event, 'http.request.referrer', header(request.headers, 'Referer'));
  const host = header(request.headers, 'Host');
  const uri = str(request.uri);
  if (uri) {
    const scheme = port === 443 ? 'https' : 'http';
    putUrl(event, host ? `${scheme}://${host}${port && !host.includes(':') ? `:${port}` : ''}${uri}` : uri);
  }
  put(event, 'http.response.status_code', typeof response.http_code === 'number' ? response.http_code : undefined);
  put(event, 'http.response.mime_type', header(response.headers, 'Content-Type'));

  const producer = isRecord(transaction.producer) ? transaction.producer : {};
  const audit: EventRecord = {};
  const connector = str(producer.connector);
  if (connector) audit.connector = connector;
  const server = header(response.headers, 'Server');
  if (server) audit.server = server;
  const engine = str(producer.modsecurity);
  if (engine) put(event, 'observer.version', engine);
  const messages = Array.isArray(transaction.messages) ? transaction.messages : [];
  const texts: string[] = [];
  const details: EventRecord[] = [];
  for (const message of messages) {
    if (!isRecord(message)) continue;
    const text = str(message.message);
    if (text) texts.push(text);
    if (isRecord(message.details)) {
      details.push({ details: message.details });
      const ruleId = str(message.details.ruleId);
      if (ruleId) addUnique(event, 'rule.id', ruleId);
    }
  }
  if (texts.length) {
    audit.messages = texts;
    put(event, 'message', texts.join('; '));
  }
  if (details.length) audit.details = details;
  if (Object.keys(audit).length) put(event, 'modsec.audit', audit);
  fillRelated(event);
}
