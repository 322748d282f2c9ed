export { type LintOptions, lintConfiguration } from './config-lint';
export {
  CONNECTION_KIND_ALIASES,
  type ConnectionKind,
  type KnownConnections,
  knownConnections,
  normalizeConnectionKind,
} from './connection-kind';
export { testConnection } from './connection-test';
export { ConsultaError, type ConsultaErrorCode, consultaOf, parseConsulta, selectedColumns } from './consulta';
export { type DateParts, readDate, zonedInstant } from './date-text';
export { assertDependencyChange } from './dependency-change';
export {
  buildDependencyGraph,
  collectDependencyEdges,
  type DanglingDependency,
  DanglingDependencyError,
  type DependencyColumn,
  type DependencyCycle,
  DependencyCycleError,
  type DependencyEdge,
  type DependencyGraph,
  type DependencyRow,
  describeCycle,
  findCycles,
  runOrderFor,
  UnknownIntegracaoError,
} from './dependency-graph';
export * from './endpoint/index';
export { failureReason, failureText } from './failure-reason';
export * from './get/index';
export { type CrmTableColumns, GET_ENGINE_VARIABLES } from './get-lint';
export { findTypographicQuote, type JsonTextResult, parseJsonText } from './json-text';
export {
  formatFinding,
  type LintFinding,
  type LintLocale,
  type LintMessage,
  type LintSeverity,
  sortFindings as sortLintFindings,
} from './lint-finding';
export {
  CONTROL_CHARACTERS,
  changeParametros,
  controlCharacterParameter,
  missingParameters,
  type Parametros,
  requiredParameters,
  rowIdParameter,
} from './parametros';
export {
  type BuildRequestOptions,
  buildRequest,
  type CampoRow,
  type CompiledCampos,
  compileCampos,
  type MappedField,
  type MappedFieldKind,
  type MappedRequest,
  MappingError,
  type MappingErrorCode,
  type OmittedField,
} from './request-mapping';
export {
  assertReturnIndexes,
  ReturnConfigError,
  type ReturnIndexes,
  type ReturnReading,
  type ReturnRecord,
  readReturn,
} from './return-reader';
export { RuleConfigError, type RuleConfigErrorCode, RuleViolationError } from './rule-errors';
export { normalizeRuleType, RULE_TYPE_ALIASES, type RuleType } from './rule-types';
export { type AppliedRule, applyRules, type CompiledRules, compileRules, type RegraRow, type RulesResult } from './rules';
export {
  type NotRunnableReason,
  type PlannedStep,
  type PlanRow,
  PrerequisiteNotRunnableError,
  planIntegrationRun,
} from './run-plan';
export * from './runs/index';
export * from './schedules/index';
export * from './set/index';
export { planValues, writeBackValues } from './set-plan';
export { soapWrapperMessage } from './soap-wrapper-lint';
export { lintStoredConfiguration, lintStoredSoapWrappers } from './stored-config-lint';
export {
  bindStatement,
  type CompiledTemplate,
  compileStatement,
  compileTemplate,
  describeStatement,
  extractVariables,
  MissingVariableError,
  type TemplateDialect,
  type TemplateOptions,
  type TemplateStatement,
  type TemplateValues,
  toRawSql,
} from './template';
export { type UpstreamName, type UpstreamRow, upstreamNames } from './upstream-names';
