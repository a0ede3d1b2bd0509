import type { TelnetParser } from '../../relay/telnet.js';
import type { Tube } from '../../tube/tube.js';
import type { SessionLog } from '../session-log.js';

/**
 * -t for one client of a many-client listener (-l -k, --broker, --chat): its negotiations are
 * answered (refused) on its own connection, and recorded in -o/-x; resolves with the data that
 * is left once the Telnet commands are taken out. Without a parser the chunk is returned as is.
 */
export async function answerTelnet(
  telnet: TelnetParser | undefined,
  chunk: Buffer,
  tube: Tube,
  sessionLog: SessionLog | undefined,
): Promise<Buffer> {
  if (!telnet) return chunk;
  const answer = telnet.feed(chunk);
  if (answer.reply.length > 0) {
    sessionLog?.record(answer.reply);
    await tube.send(answer.reply).catch(() => {});
  }
  return answer.data;
}
