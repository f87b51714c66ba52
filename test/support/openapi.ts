// The validator lives in src/contract (the CLI's `verify` uses it too); tests import it from here.
export { type OperationMatch, SpecValidator, specValidator } from '../../src/contract/spec-validator.js';
