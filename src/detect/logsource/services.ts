import { CHANNEL, DEFENDER_FIELDS, POWERSHELL_CHANNELS } from './channels.js';

/** `product: windows` + `service: X` → the channel(s) X's events are written to (any EventID). */
export interface ServiceEntry {
  readonly service: string;
  readonly channels: readonly string[];
  /** Other spellings seen in rules or in other tools' configs. */
  readonly aliases?: readonly string[];
  readonly fieldMap?: Readonly<Record<string, string>>;
}

const MS = 'Microsoft-Windows-';

export const SERVICES: readonly ServiceEntry[] = [
  { service: 'security', channels: [CHANNEL.security] },
  { service: 'system', channels: [CHANNEL.system] },
  { service: 'application', channels: [CHANNEL.application] },
  { service: 'sysmon', channels: [CHANNEL.sysmon] },
  { service: 'powershell', channels: POWERSHELL_CHANNELS },
  { service: 'powershell-classic', channels: [CHANNEL.powershellClassic] },
  { service: 'windefend', channels: [CHANNEL.defender], fieldMap: DEFENDER_FIELDS },
  { service: 'taskscheduler', channels: [`${MS}TaskScheduler/Operational`] },
  { service: 'wmi', channels: [`${MS}WMI-Activity/Operational`] },
  { service: 'ntlm', channels: [`${MS}NTLM/Operational`] },
  { service: 'dhcp', channels: [`${MS}DHCP-Server/Operational`] },
  { service: 'dns-server', channels: ['DNS Server'] },
  { service: 'dns-server-audit', channels: [`${MS}DNS-Server/Audit`] },
  { service: 'dns-server-analytic', channels: [`${MS}DNS-Server/Analytical`] },
  { service: 'dns-client', channels: [`${MS}DNS Client Events/Operational`] },
  { service: 'driver-framework', channels: [`${MS}DriverFrameworks-UserMode/Operational`] },
  { service: 'printservice-admin', channels: [`${MS}PrintService/Admin`] },
  { service: 'printservice-operational', channels: [`${MS}PrintService/Operational`] },
  { service: 'smbclient-security', channels: [`${MS}SmbClient/Security`] },
  { service: 'smbclient-connectivity', channels: [`${MS}SmbClient/Connectivity`] },
  { service: 'smbserver-connectivity', channels: [`${MS}SMBServer/Connectivity`] },
  {
    service: 'terminalservices-localsessionmanager',
    channels: [`${MS}TerminalServices-LocalSessionManager/Operational`],
  },
  { service: 'codeintegrity-operational', channels: [`${MS}CodeIntegrity/Operational`] },
  {
    service: 'applocker',
    channels: [
      `${MS}AppLocker/MSI and Script`,
      `${MS}AppLocker/EXE and DLL`,
      `${MS}AppLocker/Packaged app-Deployment`,
      `${MS}AppLocker/Packaged app-Execution`,
    ],
  },
  { service: 'msexchange-management', channels: ['MSExchange Management'] },
  {
    service: 'firewall-as',
    channels: [`${MS}Windows Firewall With Advanced Security/Firewall`],
  },
  { service: 'bits-client', channels: [`${MS}Bits-Client/Operational`] },
  {
    service: 'security-mitigations',
    channels: [`${MS}Security-Mitigations/Kernel Mode`, `${MS}Security-Mitigations/User Mode`],
  },
  { service: 'diagnosis-scripted', channels: [`${MS}Diagnosis-Scripted/Operational`] },
  { service: 'shell-core', channels: [`${MS}Shell-Core/Operational`] },
  { service: 'openssh', channels: ['OpenSSH/Operational'] },
  { service: 'ldap', aliases: ['ldap_debug'], channels: [`${MS}LDAP-Client/Debug`] },
  { service: 'bitlocker', channels: [`${MS}BitLocker/BitLocker Management`] },
  { service: 'vhdmp', channels: [`${MS}VHDMP/Operational`] },
  { service: 'appxdeployment-server', channels: [`${MS}AppXDeploymentServer/Operational`] },
  { service: 'appxpackaging-om', channels: [`${MS}AppxPackaging/Operational`] },
  { service: 'appmodel-runtime', channels: [`${MS}AppModel-Runtime/Admin`] },
  { service: 'lsa-server', channels: [`${MS}LSA/Operational`] },
  { service: 'capi2', channels: [`${MS}CAPI2/Operational`] },
  {
    service: 'certificateservicesclient-lifecycle-system',
    channels: [`${MS}CertificateServicesClient-Lifecycle-System/Operational`],
  },
  {
    service: 'kernel-shimengine',
    channels: [`${MS}Kernel-ShimEngine/Operational`, `${MS}Kernel-ShimEngine/Diagnostic`],
  },
  {
    service: 'application-experience',
    channels: [
      `${MS}Application-Experience/Program-Telemetry`,
      `${MS}Application-Experience/Program-Compatibility-Assistant`,
    ],
  },
  { service: 'ntfs', channels: [`${MS}Ntfs/Operational`] },
  // thor.yml names the provider; Windows writes the Admin channel with a hyphen.
  { service: 'hyper-v-worker', channels: [`${MS}Hyper-V-Worker`, `${MS}Hyper-V-Worker-Admin`] },
  {
    service: 'kernel-event-tracing',
    channels: [`${MS}Kernel-EventTracing`, `${MS}Kernel-EventTracing/Admin`],
  },
  { service: 'sense', channels: [`${MS}SENSE/Operational`] },
  {
    service: 'microsoft-servicebus-client',
    aliases: ['servicebus-client'],
    channels: ['Microsoft-ServiceBus-Client/Admin', 'Microsoft-ServiceBus-Client/Operational'],
  },
  { service: 'iis-configuration', channels: ['Microsoft-IIS-Configuration/Operational'] },
];
