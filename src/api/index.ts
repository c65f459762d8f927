// The ckpt.dev/v1alpha1 API: types, schemas, names, defaulting and validation,
// shared by the controller, the agent and the kubectl plugin.
export * from './names.ts';
export * from './meta.ts';
export * from './conditions.ts';
export * from './checkpoint-options.ts';
export * from './container-checkpoint.ts';
export * from './checkpoint-schedule.ts';
export { validate, formatErrors, type FieldError } from './validate.ts';
export { specErrors } from './checks.ts';
export { parseByteQuantity } from './fields.ts';
export { withDefaults } from './defaults.ts';
