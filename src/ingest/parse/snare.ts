/**
 * Snare "MSWinEventLog" Windows events (Snare and NXLog's Snare output): tab-separated fields
 * (or rsyslog's `#011` escape for a tab) after the literal `MSWinEventLog`:
 * criticality, channel, record number, submit time, event ID, provider, user, SID type,
 * event type, computer, category, data, expanded description [, checksum or counter].
 * The description's `Label:  value` lines are read back into the EventData names Sigma rules
 * use (SubjectUserName, LogonType, IpAddress, CommandLine, …) for the labels listed below.
 */
import type { EventRecord } from '../../core/index.js';
import { at, resolveWall, setTimestamp } from './context.js';
import type { ParseContext } from './context.js';
import { get, put } from './fields.js';
import { parseAsctime } from './time.js';
import { putWindowsEcs } from './windows.js';

const MARKER = 'MSWinEventLog';
const FIELDS = 13;

/** Section (lower case) → label → EventData name. `*` applies in any section. */
const SUBJECT = { 'Security ID': 'SubjectUserSid', 'Account Name': 'SubjectUserName', 'Account Domain': 'SubjectDomainName', 'Logon ID': 'SubjectLogonId' };
const TARGET = {
  'Security ID': 'TargetUserSid', 'Account Name': 'TargetUserName', 'Account Domain': 'TargetDomainName', 'Logon ID': 'TargetLogonId',
  'Linked Logon ID': 'TargetLinkedLogonId', 'Network Account Name': 'TargetOutboundUserName',
  'Network Account Domain': 'TargetOutboundDomainName', 'Logon GUID': 'LogonGuid',
};
const LABELS: Record<string, Record<string, string>> = {
  subject: SUBJECT,
  'creator subject': SUBJECT,
  'new logon': TARGET,
  'target subject': TARGET,
  'account for which logon failed': TARGET,
  'target account': { ...TARGET, 'Security ID': 'TargetSid' },
  'account whose credentials were used': TARGET,
  'account information': { 'Account Name': 'TargetUserName', 'Account Domain': 'TargetDomainName', 'Logon GUID': 'LogonGuid', 'Security ID': 'TargetSid' },
  user: { 'Security ID': 'TargetSid', 'Account Name': 'TargetUserName', 'Account Domain': 'TargetDomainName' },
  'logon information': { 'Logon Type': 'LogonType', 'Restricted Admin Mode': 'RestrictedAdminMode', 'Virtual Account': 'VirtualAccount', 'Elevated Token': 'ElevatedToken' },
  'process information': {
    'Process ID': 'ProcessId', 'Process Name': 'ProcessName', 'New Process ID': 'NewProcessId', 'New Process Name': 'NewProcessName',
    'Token Elevation Type': 'TokenElevationType', 'Mandatory Label': 'MandatoryLabel', 'Creator Process ID': 'ProcessId',
    'Creator Process Name': 'ParentProcessName', 'Process Command Line': 'CommandLine',
  },
  'network information': {
    'Workstation Name': 'WorkstationName', 'Source Network Address': 'IpAddress', 'Source Port': 'IpPort', 'Client Address': 'IpAddress',
    'Client Port': 'IpPort', 'Network Address': 'IpAddress', Port: 'IpPort', Direction: 'Direction', 'Source Address': 'SourceAddress',
    'Destination Address': 'DestAddress', 'Destination Port': 'DestPort', Protocol: 'Protocol',
  },
  'detailed authentication information': {
    'Logon Process': 'LogonProcessName', 'Authentication Package': 'AuthenticationPackageName', 'Transited Services': 'TransmittedServices',
    'Package Name (NTLM only)': 'LmPackageName', 'Key Length': 'KeyLength',
  },
  'service information': { 'Service Name': 'ServiceName', 'Service ID': 'ServiceSid' },
  'additional information': {
    'Ticket Options': 'TicketOptions', 'Result Code': 'Status', 'Ticket Encryption Type': 'TicketEncryptionType',
    'Pre-Authentication Type': 'PreAuthType', Privileges: 'PrivilegeList',
  },
  'failure information': { 'Failure Reason': 'FailureReason', Status: 'Status', 'Sub Status': 'SubStatus' },
  'application information': { 'Process ID': 'ProcessID', 'Application Name': 'Application' },
  'filter information': { 'Filter Run-Time ID': 'FilterRTID', 'Layer Name': 'LayerName', 'Layer Run-Time ID': 'LayerRTID' },
  object: { 'Object Server': 'ObjectServer', 'Object Type': 'ObjectType', 'Object Name': 'ObjectName', 'Handle ID': 'HandleId' },
  'share information': { 'Share Name': 'ShareName', 'Share Path': 'ShareLocalPath' },
  '*': { 'Logon Type': 'LogonType', 'Impersonation Level': 'ImpersonationLevel', Privileges: 'PrivilegeList' },
};
/** Windows Filtering Platform events name the ports of both ends. */
const WFP_NETWORK: Record<string, string> = { ...LABELS['network information']!, 'Source Port': 'SourcePort' };

export function isSnare(text: string, from: number): boolean {
  return text.startsWith(MARKER, from);
}

function splitFields(text: string, from: number): string[] {
  let i = from + MARKER.length;
  const c = text.charCodeAt(i);
  const separator = c === 9 ? '\t' : text.indexOf('#011', i) >= 0 ? '#011' : '\t';
  if (c === 9 || c === 32) i++;
  else if (text.startsWith('#011', i)) i += 4;
  return text.slice(i).split(separator);
}

/**
 * `exactHeaderTime`: the syslog header carried a full timestamp (RFC 5424); otherwise the
 * submit time, which has a year, wins over an RFC 3164 header date.
 */
export function parseSnare(text: string, from: number, offset: number, event: EventRecord, ctx: ParseContext, exactHeaderTime: boolean): void {
  const fields = splitFields(text, from);
  if (fields.length < FIELDS) {
    ctx.problems.push(`Snare: ${fields.length} of ${FIELDS} tab-separated fields after ${MARKER} ${at(offset + text.length)}`);
  }
  const [, channel, record, submitTime, eventId, provider, user, , eventType, computer, category, , description] = fields.map((f) => f.trim());
  const id = Number(eventId);
  if (channel) event.Channel = channel;
  if (eventId && Number.isInteger(id)) event.EventID = id;
  if (provider) event.Provider_Name = provider;
  if (computer) event.Computer = computer;
  const recordNumber = Number(record);
  if (record && Number.isSafeInteger(recordNumber)) event.EventRecordID = recordNumber;
  if (eventType === 'Success Audit') put(event, 'event.outcome', 'success');
  else if (eventType === 'Failure Audit') put(event, 'event.outcome', 'failure');
  put(event, 'winlog.keywords', eventType === 'Success Audit' ? ['Audit Success'] : eventType === 'Failure Audit' ? ['Audit Failure'] : undefined);
  put(event, 'event.action', category);
  if (user && user !== 'N/A') put(event, 'user.name', user);
  if (description) {
    put(event, 'message', description);
    readDescription(description, Number.isInteger(id) ? id : 0, event);
  }
  if ((!exactHeaderTime || get(event, '@timestamp') === undefined) && submitTime) {
    const wall = parseAsctime(submitTime);
    if (wall) setTimestamp(event, resolveWall(ctx, event, wall, undefined, () => `Snare submit time "${submitTime}"`));
    else ctx.problems.push(`Snare submit time "${submitTime.slice(0, 40)}" is not "Www Mmm dd hh:mm:ss yyyy"`);
  }
  putWindowsEcs(event);
}

interface Part {
  text: string;
  /** Spaces before this part: how the tabs and line breaks of the original text were rendered. */
  gap: number;
}

/** Splits at runs of two or more spaces (`Label:  value` and `Label: value` keep one space). */
function parts(text: string): Part[] {
  const out: Part[] = [];
  let i = 0;
  let gap = 0;
  while (i < text.length) {
    const run = text.indexOf('  ', i);
    const end = run < 0 ? text.length : run;
    out.push({ text: text.slice(i, end), gap });
    let j = end;
    while (j < text.length && text.charCodeAt(j) === 32) j++;
    gap = j - end;
    i = j;
  }
  return out;
}

/** `Label:` alone, or `Label: value`. */
function labelOf(part: string): { label: string; value?: string } | undefined {
  if (part.endsWith(':') && !part.includes(': ')) return { label: part.slice(0, -1) };
  const colon = part.indexOf(': ');
  if (colon <= 0) return undefined;
  return { label: part.slice(0, colon), value: part.slice(colon + 2).trim() };
}

/** Labels that name a value somewhere; a label outside this set followed by labels is a section. */
const FIELD_LABELS = new Set(Object.values(LABELS).flatMap((table) => Object.keys(table)));

function normalizeValue(value: string): string {
  // The rendered text writes hex in upper case where the event data has lower case (0x3E7 → 0x3e7).
  return /^0x[0-9A-Fa-f]+$/.test(value) ? value.toLowerCase() : value;
}

function nameFor(section: string, label: string, eventId: number): string | undefined {
  const table = section === 'network information' && eventId >= 5150 && eventId <= 5159 ? WFP_NETWORK : LABELS[section];
  if (table && Object.hasOwn(table, label)) return table[label];
  const any = LABELS['*']!;
  return Object.hasOwn(any, label) ? any[label] : undefined;
}

function readDescription(description: string, eventId: number, event: EventRecord): void {
  const list = parts(description);
  let section = '';
  let lastName: string | undefined;
  for (let n = 1; n < list.length; n++) {
    const part = list[n]!;
    const labelled = labelOf(part.text);
    if (!labelled) {
      // Further lines of a multi-line value (the privileges of 4672) are indented deeper.
      const previous = lastName === undefined ? undefined : event[lastName];
      if (lastName && part.gap >= 5 && typeof previous === 'string' && previous !== '') event[lastName] = `${previous}\n\t\t\t${part.text}`;
      else lastName = undefined;
      continue;
    }
    let value = labelled.value;
    const next = list[n + 1];
    if (value === undefined && next) {
      const nextLabelled = labelOf(next.text);
      if (nextLabelled && next.gap === 3 && !FIELD_LABELS.has(labelled.label)) {
        section = labelled.label.toLowerCase();
        lastName = undefined;
        continue;
      }
      if (!nextLabelled && next.gap <= 3) {
        value = next.text;
        n++;
      }
    }
    const name = nameFor(section, labelled.label, eventId);
    lastName = name;
    if (name && !Object.hasOwn(event, name)) event[name] = normalizeValue(value ?? '');
  }
}
