/**
 * Options → plan: which layers a run is made of, and what it does with every option it was given.
 * Pure: no I/O. The runner (runner.ts) assembles the run from the plan's layers and nothing else.
 *
 * A plan has five independent layers:
 * - transport: tcp, udp, unix (stream), unix-dgram, seqpacket;
 * - security: plain, tls (over stream transports) or dtls (over udp);
 * - role: connect or listen;
 * - multiplicity: once, keep-open (-k), broker, chat;
 * - io: stdio, exec (-e/-c), js-exec, lua-exec, proxy-server (-l --proxy-type), scan (-z).
 *
 * Every option given is honoured by exactly one layer (OPTION_RULES in option-rules.ts says which),
 * or, where the plan's layers cannot honour it, is never silent: refused by name before any socket
 * opens (exit 2; where ncat refuses, and for anything TLS), or run with a one-line warning naming
 * it (where ncat accepts the option and ignores it). See docs/architecture.md for how a new layer
 * (a transport, a security, an io) plugs in.
 */
import { ArgumentError } from '../errors.js';
import { type Layers, layersOf, modeName } from './layers.js';
import { OPTION_RULES, type Verdict } from './option-rules.js';
import { flagNames, OPTIONS } from './option-table.js';
import type { Options } from './options.js';

/** A run's layers, and the warnings for options its layers accept and ignore (as ncat does). */
export interface Plan extends Layers {
  /** One line each, naming the option and the mode; printed before anything else happens. */
  warnings: string[];
}

/** The options of the table given on the command line, in table order. */
function givenSpecs(options: Options) {
  const given = new Set(options.given);
  return OPTIONS.filter((spec) => given.has(spec.name));
}

/**
 * What the plan's layers do with one option: undefined when a layer honours it, else the
 * refusal or the warning. Throws for an option the rules table does not know (a bug).
 */
export function verdictFor(name: string, layers: Layers, options: Options): Verdict {
  const rule = OPTION_RULES[name];
  if (!rule) throw new Error(`option ${name} has no rule in OPTION_RULES`);
  return rule.where?.(layers, options);
}

/**
 * Build the plan for parsed Options. Throws ArgumentError (exit 2) naming the option and the mode
 * for the first option the layers cannot honour and must refuse; collects a warning for each one
 * they accept and ignore.
 */
export function buildPlan(options: Options): Plan {
  const layers = layersOf(options);
  const mode = modeName(layers, options);
  const warnings: string[] = [];
  for (const spec of givenSpecs(options)) {
    const verdict = verdictFor(spec.name, layers, options);
    if (!verdict) continue;
    const flag = flagNames(spec);
    if ('refuse' in verdict) {
      // A refused --ssl names the mode it was asked of, not "... --ssl" again.
      const asked =
        spec.name === 'ssl' ? modeName({ ...layers, security: 'plain' }, options) : mode;
      throw new ArgumentError(`${flag} cannot be used with ${asked}: ${verdict.refuse}`);
    }
    warnings.push(`warning: ${flag} has no effect with ${mode} (${verdict.warn}); ignored`);
  }
  return { ...layers, warnings };
}
