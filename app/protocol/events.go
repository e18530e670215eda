// Package protocol holds the wire vocabulary shared by the widget (js/wasm)
// and the server (linux): the Halo Chat Widget Events API names, the embed
// configuration, and the messages the loader and the widget iframe exchange.
// It has no I/O and builds for both platforms.
package protocol

// The Events API (docs/CONTRACT.md#events): inbound events are
// CustomEvents the host page dispatches on window, outbound ones those the
// loader dispatches for the widget; the bridge types are what the loader
// and the widget iframe post to each other.
const (
	EventInitialize       = "haloChat_inboundEvent_initialize"
	EventOpenChatWindow   = "haloChat_inboundEvent_openChatWindow"
	EventUpgradeAnonChat  = "haloChat_inboundEvent_upgradeAnonChat"
	EventLogout           = "haloChat_inboundEvent_logout"
	EventLoginChanged     = "haloChat_inboundEvent_loginChanged"
	EventCloseChatWindow  = "haloChat_inboundEvent_closeChatWindow"
	InboundEventPrefix    = "haloChat_inboundEvent_"
	OutboundEventPrefix   = "haloChat_outboundEvent_"
	OutInitialized        = "haloChat_outboundEvent_initialized"
	OutUpgradeAnonChat    = "haloChat_outboundEvent_upgradeAnonChat"
	OutChatWindowOpened   = "haloChat_outboundEvent_chatWindowOpened"
	OutChatWindowClosed   = "haloChat_outboundEvent_chatWindowClosed"
	OutChatStarted        = "haloChat_outboundEvent_chatStarted"
	OutMessageReceived    = "haloChat_outboundEvent_messageReceived"
	OutUnreadCount        = "haloChat_outboundEvent_unreadCount"
	OutChatEnded          = "haloChat_outboundEvent_chatEnded"
	OutChatRated          = "haloChat_outboundEvent_chatRated"
	OutError              = "haloChat_outboundEvent_error"
	BridgeTypeReady       = "halochat:ready"    // iframe → loader: the widget can take events
	BridgeTypeInbound     = "halochat:inbound"  // loader → iframe: one inbound event
	BridgeTypeOutbound    = "halochat:outbound" // iframe → loader: one outbound event to dispatch
	BridgeTypeWindowState = "halochat:window"   // iframe → loader: open or close the chat window
)

// InboundEvents lists every inbound event name the widget accepts.
var InboundEvents = []string{
	EventInitialize, EventOpenChatWindow, EventUpgradeAnonChat,
	EventLogout, EventLoginChanged, EventCloseChatWindow,
}

// BridgeMessage is what the loader and the widget iframe post to each other.
// Name and Detail carry one Events API event.
type BridgeMessage struct {
	Type   string         `json:"type"`
	Name   string         `json:"name,omitempty"`
	Detail map[string]any `json:"detail,omitempty"`
}
