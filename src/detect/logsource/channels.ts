/**
 * Windows event log channel names as Windows writes them in `System/Channel`. These are facts
 * about Windows (and Sysmon / PowerShell / Defender), not anyone's configuration file.
 */
export const CHANNEL = {
  security: 'Security',
  system: 'System',
  application: 'Application',
  sysmon: 'Microsoft-Windows-Sysmon/Operational',
  powershell: 'Microsoft-Windows-PowerShell/Operational',
  powershellCore: 'PowerShellCore/Operational',
  powershellClassic: 'Windows PowerShell',
  defender: 'Microsoft-Windows-Windows Defender/Operational',
} as const;

/** PowerShell 5.1 and PowerShell 7 write the same 4103/4104 events to different channels. */
export const POWERSHELL_CHANNELS: readonly string[] = [CHANNEL.powershell, CHANNEL.powershellCore];

/** The ETW provider behind Sigma's `file_access` / `file_rename` categories (no standard channel). */
export const KERNEL_FILE_PROVIDER = 'Microsoft-Windows-Kernel-File';

/**
 * Microsoft Defender writes EventData names with spaces (`<Data Name="Threat Name">`); Sigma
 * rules write them without (`ThreatName`), a few with underscores (`Feature_Name`). Map both
 * spellings to the name the event really carries.
 */
const DEFENDER_DATA_NAMES: readonly string[] = [
  'Product Name', 'Product Version', 'Detection ID', 'Detection Time', 'Threat ID', 'Threat Name',
  'Severity ID', 'Severity Name', 'Category ID', 'Category Name', 'Status Code', 'Status Description',
  'Source ID', 'Source Name', 'Process Name', 'Detection User', 'Origin ID', 'Origin Name',
  'Execution ID', 'Execution Name', 'Type ID', 'Type Name', 'Pre Execution Status', 'Action ID',
  'Action Name', 'Error Code', 'Error Description', 'Post Clean Status', 'Additional Actions ID',
  'Additional Actions String', 'Remediation User', 'Engine Version', 'Old Value', 'New Value',
  'Feature Name', 'Feature ID', 'Scan ID', 'Scan Type', 'Scan Type Name', 'Scan Parameters',
];

function defenderFieldMap(): Record<string, string> {
  const map: Record<string, string> = {};
  for (const name of DEFENDER_DATA_NAMES) {
    map[name.replaceAll(' ', '')] = name;
    map[name.replaceAll(' ', '_')] = name;
  }
  return map;
}

export const DEFENDER_FIELDS: Readonly<Record<string, string>> = Object.freeze(defenderFieldMap());
