// The echo handler, in a module of its own so that threads and processes can load it.
import type { ConnectionInfo, Tube } from 'sockcat';

export async function handler(tube: Tube, _info: ConnectionInfo): Promise<void> {
  for await (const chunk of tube) await tube.send(chunk);
}
