/**
 * Every subcommand, registered in the order `--help` lists them. Each module exports one
 * `register(program, io)` function that adds its command.
 */
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { register as registerApkInspect } from './apk-inspect.js';
import { register as registerBench } from './bench.js';
import { register as registerCache } from './cache.js';
import { register as registerIndexInspect } from './index-inspect.js';
import { register as registerLock } from './lock.js';
import { register as registerPlan } from './plan.js';
import { register as registerRepoSynth } from './repo-synth.js';
import { register as registerResolve } from './resolve.js';
import { register as registerRun } from './run.js';
import { register as registerServe } from './serve.js';

export type RegisterCommand = (program: Command, io: () => CliIo) => void;

export const COMMANDS: RegisterCommand[] = [
  registerRun,
  registerPlan,
  registerResolve,
  registerLock,
  registerBench,
  registerIndexInspect,
  registerApkInspect,
  registerRepoSynth,
  registerCache,
  registerServe,
];
