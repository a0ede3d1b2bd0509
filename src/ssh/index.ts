export {
  SshConnection,
  type SshConnectOptions,
  type SshProcessConnectOptions,
  type SshTarget,
  sshConnect,
  sshProcess,
} from './connection.js';
export { hostKeyFingerprint, hostKeyType, parseFingerprint } from './host-key.js';
export {
  checkKnownHost,
  type KnownHostsEntry,
  type KnownHostsVerdict,
  knownHostsName,
  parseKnownHosts,
} from './known-hosts.js';
export {
  type SshProcessOptions,
  SshProcessTube,
  type SshPtyOptions,
  type SshSessionHost,
  type SshShellOptions,
} from './process.js';
