import { CHANNEL, DEFENDER_FIELDS, KERNEL_FILE_PROVIDER, POWERSHELL_CHANNELS } from './channels.js';
import type { LogsourceTarget } from './types.js';

/** `product: windows` (or no product) + `category: X` → where X's events are written. */
export interface CategoryEntry {
  readonly category: string;
  readonly aliases?: readonly string[];
  readonly targets: readonly LogsourceTarget[];
}

type TargetOptions = { fieldMap?: Record<string, string>; conditions?: Record<string, string[]> };

function target(channels: readonly string[], eventIds: readonly number[], opts: TargetOptions = {}): LogsourceTarget {
  return {
    channels: [...channels],
    eventIds: [...eventIds],
    fieldMap: { ...(opts.fieldMap ?? {}) },
    conditions: { ...(opts.conditions ?? {}) },
  };
}

function sysmon(eventIds: readonly number[], conditions?: Record<string, string[]>): LogsourceTarget {
  return target([CHANNEL.sysmon], eventIds, conditions ? { conditions } : {});
}

function sysmonCategory(category: string, eventIds: readonly number[], aliases?: readonly string[]): CategoryEntry {
  return aliases ? { category, aliases, targets: [sysmon(eventIds)] } : { category, targets: [sysmon(eventIds)] };
}

/** Security 4688 names the new process and its parent differently from Sysmon 1. */
const SECURITY_4688 = target([CHANNEL.security], [4688], {
  fieldMap: { Image: 'NewProcessName', ParentImage: 'ParentProcessName' },
});

/** Security 4663 (object access auditing with a SACL on files) as a second source of file opens. */
const SECURITY_4663_FILE = target([CHANNEL.security], [4663], {
  fieldMap: { FileName: 'ObjectName', TargetFilename: 'ObjectName', Image: 'ProcessName' },
  conditions: { ObjectType: ['File'] },
});

/** Kernel-File ETW events, written to whatever channel the collector chose. */
const KERNEL_FILE = target([], [], { conditions: { Provider_Name: [KERNEL_FILE_PROVIDER] } });

/** Defender detection events that carry a threat name and a path. */
const DEFENDER_DETECTION_IDS = [1006, 1007, 1008, 1009, 1010, 1011, 1012, 1017, 1018, 1019, 1115, 1116];

const SYSMON_CATEGORIES: readonly CategoryEntry[] = [
  { category: 'process_creation', targets: [sysmon([1]), SECURITY_4688] },
  sysmonCategory('file_change', [2]),
  sysmonCategory('network_connection', [3]),
  sysmonCategory('sysmon_status', [4, 16]),
  sysmonCategory('process_termination', [5]),
  sysmonCategory('driver_load', [6]),
  sysmonCategory('image_load', [7]),
  sysmonCategory('create_remote_thread', [8]),
  sysmonCategory('raw_access_thread', [9]),
  sysmonCategory('process_access', [10]),
  sysmonCategory('file_event', [11]),
  sysmonCategory('registry_event', [12, 13, 14]),
  { category: 'registry_add', targets: [sysmon([12], { EventType: ['CreateKey'] })] },
  { category: 'registry_delete', targets: [sysmon([12], { EventType: ['DeleteKey', 'DeleteValue'] })] },
  sysmonCategory('registry_set', [13]),
  sysmonCategory('registry_rename', [14]),
  sysmonCategory('create_stream_hash', [15]),
  sysmonCategory('pipe_created', [17, 18]),
  sysmonCategory('wmi_event', [19, 20, 21]),
  sysmonCategory('dns_query', [22]),
  sysmonCategory('file_delete', [23, 26]),
  sysmonCategory('clipboard_change', [24], ['clipboard_capture']),
  sysmonCategory('process_tampering', [25]),
  sysmonCategory('file_delete_detected', [26]),
  sysmonCategory('file_block', [27, 28]),
  sysmonCategory('file_block_executable', [27]),
  sysmonCategory('file_block_shredding', [28]),
  sysmonCategory('file_executable_detected', [29]),
  sysmonCategory('sysmon_error', [255]),
];

const OTHER_CATEGORIES: readonly CategoryEntry[] = [
  { category: 'ps_module', targets: [target(POWERSHELL_CHANNELS, [4103])] },
  { category: 'ps_script', targets: [target(POWERSHELL_CHANNELS, [4104])] },
  { category: 'ps_classic_start', targets: [target([CHANNEL.powershellClassic], [400])] },
  { category: 'ps_classic_provider_start', targets: [target([CHANNEL.powershellClassic], [600])] },
  { category: 'ps_classic_script', targets: [target([CHANNEL.powershellClassic], [800])] },
  { category: 'file_access', targets: [KERNEL_FILE, SECURITY_4663_FILE] },
  { category: 'file_rename', targets: [KERNEL_FILE] },
  {
    category: 'antivirus',
    targets: [
      target([CHANNEL.defender], DEFENDER_DETECTION_IDS, {
        fieldMap: { ...DEFENDER_FIELDS, Signature: 'Threat Name', Filename: 'Path' },
      }),
    ],
  },
];

export const CATEGORIES: readonly CategoryEntry[] = [...SYSMON_CATEGORIES, ...OTHER_CATEGORIES];
