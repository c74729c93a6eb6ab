export * from './databases.js';
export * from './decider-specification.js';
export * from './builders/common.builders.js';
export * from './builders/campaign.builders.js';
export * from './builders/tenant.builders.js';
export * from './projection-harness.js';
export * from './canary.js';
export * from './builders/contact-list.builders.js';
