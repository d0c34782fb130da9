#!/usr/bin/env node
/** The `srvid` executable: the command (run-cli.ts) with this process's arguments. */
import { main } from './run-cli.js';

await main(process.argv.slice(2));
