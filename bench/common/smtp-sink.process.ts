import 'reflect-metadata';

import { serveSink } from './smtp-sink.js';

/** Entry of the sink process forked by `startSink`. */
await serveSink(process.argv[2]!, process.argv[3] ?? 'store');
