export type { Logsource, LogsourceTarget, LogsourceResolution, MappingEntry } from './types.js';
export { resolveLogsource, describeMappings } from './resolve.js';
export { renderMappingTable, renderDefenderNames } from './markdown.js';
export { deviceTarget, describeDeviceMappings } from './devices.js';
