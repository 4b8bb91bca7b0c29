export { readEventXml } from './reader.js';
export type { WinXmlItem } from './reader.js';
