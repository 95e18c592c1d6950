//! The alert node and its handlers, as Kapacitor's `pipeline/alert.go` defines them.
//!
//! `AlertNode` wraps `AlertNodeData`; every handler (`EmailHandler`, `SlackHandler`, …) embeds
//! `*AlertNodeData`, so a handler answers to its own properties first and then to the alert
//! node's. A field with a `tick:"Name"` struct tag is set through the method `Name`; any other
//! exported field is a property of its own name taking the field's type.

use super::{ChainMethod, EdgeRule, Object, ObjectKind, Param, Property};

const STR: Param = Param::String;
const INT: Param = Param::Int;
const FLOAT: Param = Param::Float;
const BOOL: Param = Param::Bool;
const DUR: Param = Param::Duration;
const LAMBDA: Param = Param::Lambda;
const ANY: Param = Param::Any;
const LIST: Param = Param::List;

/// A property with fixed parameters that returns the object itself.
const fn prop(name: &'static str, params: &'static [Param]) -> Property {
    Property {
        name,
        params,
        variadic: None,
        returns: None,
    }
}

/// A property with trailing variadic parameters that returns the object itself.
const fn prop_var(name: &'static str, params: &'static [Param], variadic: Param) -> Property {
    Property {
        name,
        params,
        variadic: Some(variadic),
        returns: None,
    }
}

/// A property of the alert node that creates a handler and returns it.
const fn returns(
    name: &'static str,
    params: &'static [Param],
    variadic: Option<Param>,
    handler: &'static str,
) -> Property {
    Property {
        name,
        params,
        variadic,
        returns: Some(handler),
    }
}

/// A handler object: its own properties, then those of the alert node it embeds.
const fn handler(go_type: &'static str, properties: &'static [Property]) -> Object {
    Object {
        go_type,
        kind: ObjectKind::Handler,
        properties,
        chain_methods: &[],
        embeds: Some("AlertNode"),
    }
}

const ALERT_NODE: &[Property] = &[
    prop("Quiet", &[]), // from the embedded chainnode's node: QuietFlag `tick:"Quiet"`
    prop("Category", &[STR]),
    prop("Topic", &[STR]),
    prop("Id", &[STR]),
    prop("Message", &[STR]),
    prop("Details", &[STR]),
    prop("Info", &[LAMBDA]),
    prop("Warn", &[LAMBDA]),
    prop("Crit", &[LAMBDA]),
    prop("InfoReset", &[LAMBDA]),
    prop("WarnReset", &[LAMBDA]),
    prop("CritReset", &[LAMBDA]),
    prop("Flapping", &[FLOAT, FLOAT]),
    prop("FlapLow", &[FLOAT]),  // untagged field, settable directly
    prop("FlapHigh", &[FLOAT]), // untagged field, settable directly
    prop("History", &[INT]),
    prop("LevelTag", &[STR]),
    prop("LevelField", &[STR]),
    prop("MessageField", &[STR]),
    prop("DurationField", &[STR]),
    prop("IdTag", &[STR]),
    prop("IdField", &[STR]),
    prop("All", &[]),
    prop("NoRecoveries", &[]),
    prop_var("StateChangesOnly", &[], DUR),
    prop("StateChangesOnlyDuration", &[DUR]), // untagged field, settable directly
    prop_var("Inhibit", &[STR], STR),
    returns("Post", &[], Some(STR), "AlertHTTPPostHandler"),
    returns("Tcp", &[STR], None, "TcpHandler"),
    returns("Email", &[], Some(STR), "EmailHandler"),
    returns("Exec", &[STR], Some(STR), "ExecHandler"),
    returns("Log", &[STR], None, "LogHandler"),
    returns("VictorOps", &[], None, "VictorOpsHandler"),
    returns("PagerDuty", &[], None, "PagerDutyHandler"),
    returns("PagerDuty2", &[], None, "PagerDuty2Handler"),
    returns("Pushover", &[], None, "PushoverHandler"),
    returns("Sensu", &[], None, "SensuHandler"),
    returns("Slack", &[], None, "SlackHandler"),
    returns("Discord", &[], None, "DiscordHandler"),
    returns("BigPanda", &[], None, "BigPandaHandler"),
    returns("Telegram", &[], None, "TelegramHandler"),
    returns("HipChat", &[], None, "HipChatHandler"),
    returns("Alerta", &[], None, "AlertaHandler"),
    returns("OpsGenie", &[], None, "OpsGenieHandler"),
    returns("OpsGenie2", &[], None, "OpsGenie2Handler"),
    returns("Talk", &[], None, "TalkHandler"),
    returns("Mqtt", &[STR], None, "MQTTHandler"),
    returns("SnmpTrap", &[STR], None, "SNMPTrapHandler"),
    returns("Kafka", &[], None, "KafkaHandler"),
    returns("Teams", &[], None, "TeamsHandler"),
    returns("ServiceNow", &[], None, "ServiceNowHandler"),
    returns("Zenoss", &[], None, "ZenossHandler"),
];

/// `AlertNodeData.ChainMethods()`: `Log` is a property (`.log(path)`) and also the chainnode's
/// `|log()`, which Kapacitor keeps as a chaining method explicitly.
const ALERT_CHAIN: &[ChainMethod] = &[ChainMethod {
    name: "Log",
    params: &[],
    variadic: None,
    node: "LogNode",
    wants: EdgeRule::Parent,
    provides: EdgeRule::Parent,
    requires: None,
}];

// .post(…)
const POST: &[Property] = &[
    prop("URL", &[STR]),
    prop("Endpoint", &[STR]),
    prop("Header", &[STR, STR]), // fills Headers map[string]string
    prop("CaptureResponse", &[]),
    prop("Timeout", &[DUR]),
    prop("SkipSSLVerification", &[]),
];
// .tcp(…)
const TCP: &[Property] = &[prop("Address", &[STR])];
// .email(…)
const EMAIL: &[Property] = &[prop_var("To", &[], STR), prop_var("ToTemplates", &[], STR)];
// .exec(…)
const EXEC: &[Property] = &[
    prop("Command", &[LIST]), // []string field
];
// .log(…)
const LOG: &[Property] = &[prop("FilePath", &[STR]), prop("Mode", &[INT])];
// .victorOps()
const VICTOROPS: &[Property] = &[prop("RoutingKey", &[STR])];
// .pagerDuty()
const PAGERDUTY: &[Property] = &[prop("ServiceKey", &[STR])];
// .pagerDuty2()
const PAGERDUTY2: &[Property] = &[
    prop("RoutingKey", &[STR]),
    prop_var("Link", &[STR], STR),
    prop("ServiceKey", &[STR]), // blank field `_ string` tagged `tick:"ServiceKey"`
];
// .hipChat()
const HIPCHAT: &[Property] = &[prop("Room", &[STR]), prop("Token", &[STR])];
// .alerta()
const ALERTA: &[Property] = &[
    prop("Token", &[STR]),
    prop("Resource", &[STR]),
    prop("Event", &[STR]),
    prop("Environment", &[STR]),
    prop("Group", &[STR]),
    prop("Value", &[STR]),
    prop("Origin", &[STR]),
    prop_var("Services", &[], STR),
    prop_var("Correlated", &[], STR),
    prop("Attribute", &[STR, ANY]), // fills Attributes map[string]interface{}
    prop("Timeout", &[DUR]),
];
// .mqtt(…)
const MQTT: &[Property] = &[
    prop("BrokerName", &[STR]),
    prop("Topic", &[STR]),
    prop("Qos", &[INT]),
    prop("Retained", &[BOOL]),
];
// .sensu()
const SENSU: &[Property] = &[
    prop("Source", &[STR]),
    prop_var("Handlers", &[], STR),
    prop("Metadata", &[STR, ANY]), // fills MetadataMap map[string]interface{}
];
// .pushover()
const PUSHOVER: &[Property] = &[
    prop("UserKey", &[STR]),
    prop("Device", &[STR]),
    prop("Title", &[STR]),
    prop("URL", &[STR]),
    prop("URLTitle", &[STR]),
    prop("Sound", &[STR]),
];
// .slack()
const SLACK: &[Property] = &[
    prop("Workspace", &[STR]),
    prop("Channel", &[STR]),
    prop("Username", &[STR]),
    prop("IconEmoji", &[STR]),
];
// .discord()
const DISCORD: &[Property] = &[
    prop("Workspace", &[STR]),
    prop("Username", &[STR]),
    prop("AvatarURL", &[STR]),
    prop("EmbedTitle", &[STR]),
];
// .bigPanda()
const BIGPANDA: &[Property] = &[
    prop("AppKey", &[STR]),
    prop("Host", &[STR]),
    prop("PrimaryProperty", &[STR]),
    prop("SecondaryProperty", &[STR]),
    prop("Attribute", &[STR, ANY]), // fills Attributes map[string]interface{}
];
// .telegram()
const TELEGRAM: &[Property] = &[
    prop("ChatId", &[STR]),
    prop("ParseMode", &[STR]),
    prop("DisableWebPagePreview", &[]),
    prop("DisableNotification", &[]),
];
// .opsGenie()
const OPSGENIE: &[Property] = &[
    prop_var("Teams", &[], STR),
    prop_var("Recipients", &[], STR),
];
// .opsGenie2()
const OPSGENIE2: &[Property] = &[
    prop_var("Teams", &[], STR),
    prop_var("Recipients", &[], STR),
    prop("RecoveryAction", &[STR]),
    prop("Details", &[]), // shadows the alert node's Details(string)
];
// .talk()
const TALK: &[Property] = &[];
// .snmpTrap(…)
const SNMPTRAP: &[Property] = &[prop("TrapOid", &[STR]), prop("Data", &[STR, STR, STR])];
// .kafka()
const KAFKA: &[Property] = &[
    prop("Cluster", &[STR]),
    prop("KafkaTopic", &[STR]),
    prop("DisablePartitionById", &[]),
    prop("PartitionHashAlgorithm", &[STR]),
    prop("Template", &[STR]),
];
// .teams()
const TEAMS: &[Property] = &[prop("ChannelURL", &[STR])];
// .serviceNow()
const SERVICENOW: &[Property] = &[
    prop("URL", &[STR]),
    prop("Username", &[STR]),
    prop("Password", &[STR]),
    prop("Source", &[STR]),
    prop("Node", &[STR]),
    prop("Type", &[STR]),
    prop("Resource", &[STR]),
    prop("MetricName", &[STR]),
    prop("MessageKey", &[STR]),
    prop("AdditionalInfo", &[STR, ANY]), // fills AdditionalInfoMap map[string]interface{}
];
// .zenoss()
const ZENOSS: &[Property] = &[
    prop("URL", &[STR]),
    prop("Username", &[STR]),
    prop("Password", &[STR]),
    prop("Action", &[STR]),
    prop("Method", &[STR]),
    prop("Type", &[STR]),
    prop("Tid", &[INT]),
    prop("Collector", &[STR]),
    prop("Summary", &[STR]),
    prop("Device", &[STR]),
    prop("Component", &[STR]),
    prop("EventClassKey", &[STR]),
    prop("EventClass", &[STR]),
    prop("Message", &[STR]),          // shadows the alert node's Message
    prop("CustomField", &[STR, ANY]), // fills CustomFieldsMap map[string]interface{}
];

/// The alert node and every alert handler, in the order of Kapacitor's `pipeline/alert.go`.
pub(super) const OBJECTS: &[Object] = &[
    Object {
        go_type: "AlertNode",
        kind: ObjectKind::ChainNode,
        properties: ALERT_NODE,
        chain_methods: ALERT_CHAIN,
        embeds: None,
    },
    handler("AlertHTTPPostHandler", POST),
    handler("TcpHandler", TCP),
    handler("EmailHandler", EMAIL),
    handler("ExecHandler", EXEC),
    handler("LogHandler", LOG),
    handler("VictorOpsHandler", VICTOROPS),
    handler("PagerDutyHandler", PAGERDUTY),
    handler("PagerDuty2Handler", PAGERDUTY2),
    handler("HipChatHandler", HIPCHAT),
    handler("AlertaHandler", ALERTA),
    handler("MQTTHandler", MQTT),
    handler("SensuHandler", SENSU),
    handler("PushoverHandler", PUSHOVER),
    handler("SlackHandler", SLACK),
    handler("DiscordHandler", DISCORD),
    handler("BigPandaHandler", BIGPANDA),
    handler("TelegramHandler", TELEGRAM),
    handler("OpsGenieHandler", OPSGENIE),
    handler("OpsGenie2Handler", OPSGENIE2),
    handler("TalkHandler", TALK),
    handler("SNMPTrapHandler", SNMPTRAP),
    handler("KafkaHandler", KAFKA),
    handler("TeamsHandler", TEAMS),
    handler("ServiceNowHandler", SERVICENOW),
    handler("ZenossHandler", ZENOSS),
];
