/**
 * Public names for the Kafka Connect REST shapes, taken from the types generated from
 * `specs/kafka-connect.yaml`, so users never import from `generated/` themselves.
 */
import type { components } from '../../generated/kafka-connect.js';

type Schemas = components['schemas'];

/** A connector configuration: every value is a string, as the worker stores it. */
export type ConnectorConfig = Schemas['ConnectorConfig'];
/** Keys to merge into a configuration; `null` removes a key. */
export type ConnectorConfigPatch = Schemas['ConnectorConfigPatch'];
export type ConnectorInfo = Schemas['ConnectorInfo'];
export type ConnectorType = Schemas['ConnectorType'];
export type ConnectorTaskId = Schemas['ConnectorTaskId'];
/** `GET /connectors/{name}/status`. */
export type ConnectorStatus = Schemas['ConnectorStateInfo'];
export type ConnectorState = Schemas['ConnectorState'];
export type TaskState = Schemas['TaskState'];
/** UNASSIGNED, RUNNING, PAUSED, FAILED, RESTARTING, STOPPED (DESTROYED only transiently). */
export type State = Schemas['State'];
export type ExpandedConnector = Schemas['ExpandedConnector'];
export type ExpandedConnectors = Schemas['ExpandedConnectors'];
export type ConnectorOffset = Schemas['ConnectorOffset'];
export type TaskInfo = Schemas['TaskInfo'];
export type PluginInfo = Schemas['PluginInfo'];
export type ConfigKeyInfo = Schemas['ConfigKeyInfo'];
export type ConfigInfos = Schemas['ConfigInfos'];
export type LoggerLevel = Schemas['LoggerLevel'];
export type ServerInfo = Schemas['ServerInfo'];
export type WorkerStatus = Schemas['WorkerStatus'];
export type InitialState = NonNullable<Schemas['CreateConnectorRequest']['initial_state']>;
