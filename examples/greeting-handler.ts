// The course's greeting, as a serve() handler: print who connected and what they sent, greet them
// in Chinese, close. Used by greeting-server-many.ts in every concurrency mode.
import { type ConnectionInfo, EOFError, formatHostPort, type Tube } from 'sockcat';

export const GREETING = '你好客户端\n\r';

export async function handler(tube: Tube, info: ConnectionInfo): Promise<void> {
  console.log(
    `client connected ${formatHostPort(info.remote.address, info.remote.port)} (${info.worker})`,
  );
  let request: Buffer = Buffer.alloc(0);
  try {
    request = await tube.recv(1024, { timeout: 10_000 });
  } catch (error) {
    if (!(error instanceof EOFError)) throw error;
  }
  console.log(request.toString('utf8'));
  await tube.send(GREETING);
}
