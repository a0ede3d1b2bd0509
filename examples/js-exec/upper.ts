// A --js-exec module: greets the client, then sends back each line upper-cased until the client
// finishes sending. sockcat loads it once and calls its default export for every connection.
//
//   terminal 1:  npx tsc -p . && sockcat -l -k 127.0.0.1 4444 --js-exec dist/examples/js-exec/upper.js
//   terminal 2:  printf 'hello\nworld\n' | sockcat 127.0.0.1 4444
//                hello 127.0.0.1, send lines
//                HELLO
//                WORLD
//
// Returning closes the connection gracefully (FIN after what was sent); throwing resets it and
// sockcat prints the error on one line. Plain JavaScript works the same (an .mjs file with
// `export default async function (tube, info) { ... }`).
import { EOFError, type JsExecInfo, type Tube } from 'sockcat';

export default async function upper(tube: Tube, info: JsExecInfo): Promise<void> {
  await tube.sendLine(`hello ${info.env['SOCKCAT_REMOTE_ADDR']}, send lines`);
  for (;;) {
    let line: Buffer;
    try {
      line = await tube.recvLine({ signal: info.signal });
    } catch (error) {
      if (!(error instanceof EOFError)) throw error;
      // The client has finished sending; a last line without "\n" is still answered.
      const rest = await tube.recvAll();
      if (rest.length > 0) await tube.send(rest.toString().toUpperCase());
      return;
    }
    await tube.send(line.toString().toUpperCase());
  }
}
