/**
 * Worker entry of the synth pool: generates one package per task. Failures come back as data,
 * because an error thrown across the thread boundary loses its code and hint.
 */
import { toErrorData, type ErrorData } from '../errors.js';
import { generatePackage, type GenerateResult, type GenerateTask } from './generate-package.js';

/** What a synth worker answers. */
export type SynthOutcome = { ok: true; value: GenerateResult } | { ok: false; error: ErrorData };

export default async function run(task: GenerateTask): Promise<SynthOutcome> {
  try {
    return { ok: true, value: await generatePackage(task) };
  } catch (err) {
    return { ok: false, error: toErrorData(err) };
  }
}
