package ipc

import (
	"fmt"
	"io"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/internal/hadoop/hadooppb"
	"github.com/gostream/gostream/internal/hadoop/sasl"
)

// handshake sends the preamble, runs SASL when auth is set, and sends the
// connection context. It returns the security layer SASL negotiated (nil:
// none). The caller sets deadlines on rw.
func handshake(rw io.ReadWriter, o *Options, auth Authenticator, clientID []byte, addr string) (SecurityLayer, error) {
	pre := AuthNone
	if auth != nil {
		pre = AuthSASL
	}
	if _, err := rw.Write(preamble(pre)); err != nil {
		return nil, err
	}
	sendsUser := true
	var layer SecurityLayer
	if auth != nil {
		method, l, err := negotiate(rw, o.MaxFrame, auth, addr)
		if err != nil {
			return nil, err
		}
		if method != MethodSimple {
			sendsUser = auth.SendsUser()
		}
		layer = l
	}
	cc := &hadooppb.IpcConnectionContextProto{Protocol: proto.String(o.Protocol)}
	if sendsUser {
		cc.UserInfo = &hadooppb.UserInformationProto{EffectiveUser: proto.String(o.User)}
	}
	frame, err := encodeFrame(requestHeader(CallIDConnectionContext, clientID, -1), cc)
	if err != nil {
		return nil, err
	}
	if layer != nil {
		if frame, err = wrapFrames(layer, frame); err != nil {
			return nil, err
		}
	}
	_, err = rw.Write(frame)
	return layer, err
}

// wrapFrames wraps the byte stream b (whole frames) into SASL WRAP
// messages of at most layer.MaxSend bytes each, as Hadoop's client sends
// everything after a negotiation that chose integrity or privacy.
func wrapFrames(layer SecurityLayer, b []byte) ([]byte, error) {
	var out []byte
	for len(b) > 0 {
		n := min(len(b), layer.MaxSend())
		token, err := layer.Wrap(b[:n])
		if err != nil {
			return nil, fmt.Errorf("SASL wrap: %w", err)
		}
		frame, err := encodeFrame(requestHeader(CallIDSASL, []byte{}, -1),
			&hadooppb.RpcSaslProto{State: hadooppb.RpcSaslProto_WRAP.Enum(), Token: token})
		if err != nil {
			return nil, err
		}
		out = append(out, frame...)
		b = b[n:]
	}
	return out, nil
}

// unwrapFrame returns the bytes a server's SASL WRAP frame carries, or
// ok false when the frame is not one (a plain frame).
func unwrapFrame(layer SecurityLayer, frame []byte) (data []byte, ok bool, err error) {
	h, rest, err := decodeResponse(frame)
	if err != nil {
		return nil, false, err
	}
	if int32(h.GetCallId()) != CallIDSASL || h.GetStatus() != hadooppb.RpcResponseHeaderProto_SUCCESS {
		return nil, false, nil
	}
	var msg hadooppb.RpcSaslProto
	if err := decodeBody(rest, &msg); err != nil {
		return nil, false, fmt.Errorf("SASL message: %w", err)
	}
	if msg.GetState() != hadooppb.RpcSaslProto_WRAP {
		return nil, false, fmt.Errorf("%w: SASL %v after the negotiation", ErrMalformed, msg.GetState())
	}
	data, err = layer.Unwrap(msg.GetToken())
	if err != nil {
		return nil, false, fmt.Errorf("SASL unwrap: %w", err)
	}
	return data, true, nil
}

// negotiate runs the SASL exchange and returns the auth method in use and
// the security layer it negotiated (nil: none).
func negotiate(rw io.ReadWriter, maxFrame int, auth Authenticator, addr string) (string, SecurityLayer, error) {
	method, mech, err := exchange(rw, maxFrame, auth, addr)
	if err != nil || mech == nil {
		return method, nil, err
	}
	if l, ok := mech.(SecurityLayer); ok && l.QOP() != "" && l.QOP() != sasl.QOPAuth {
		return method, l, nil
	}
	return method, nil, nil
}

// exchange runs the SASL messages; mech is nil when the server switched
// the client to simple authentication.
func exchange(rw io.ReadWriter, maxFrame int, auth Authenticator, addr string) (string, Mechanism, error) {
	send := func(m *hadooppb.RpcSaslProto) error {
		// SASL messages carry Hadoop's dummy (empty) client id.
		frame, err := encodeFrame(requestHeader(CallIDSASL, []byte{}, -1), m)
		if err != nil {
			return err
		}
		_, err = rw.Write(frame)
		return err
	}
	if err := send(&hadooppb.RpcSaslProto{State: hadooppb.RpcSaslProto_NEGOTIATE.Enum()}); err != nil {
		return "", nil, err
	}
	var mech Mechanism
	for round := 0; round < 16; round++ {
		frame, err := readFrame(rw, maxFrame)
		if err != nil {
			return "", nil, err
		}
		h, rest, err := decodeResponse(frame)
		if err != nil {
			return "", nil, err
		}
		if h.GetStatus() != hadooppb.RpcResponseHeaderProto_SUCCESS {
			return "", nil, remoteError(h, "")
		}
		if int32(h.GetCallId()) != CallIDSASL {
			return "", nil, fmt.Errorf("%w: call id %d during SASL negotiation", ErrMalformed, int32(h.GetCallId()))
		}
		var msg hadooppb.RpcSaslProto
		if err := decodeBody(rest, &msg); err != nil {
			return "", nil, fmt.Errorf("SASL message: %w", err)
		}
		switch msg.GetState() {
		case hadooppb.RpcSaslProto_NEGOTIATE:
			if mech != nil {
				return "", nil, fmt.Errorf("%w: second SASL NEGOTIATE", ErrMalformed)
			}
			offer, simple, err := choose(msg.GetAuths(), auth)
			if err != nil {
				return "", nil, err
			}
			offer.Addr = addr
			if simple {
				// Switch to simple: announce it and wait for nothing, as
				// Hadoop's client does.
				err := send(&hadooppb.RpcSaslProto{
					State: hadooppb.RpcSaslProto_INITIATE.Enum(),
					Auths: []*hadooppb.RpcSaslProto_SaslAuth{{Method: proto.String(MethodSimple), Mechanism: proto.String("")}},
				})
				return MethodSimple, nil, err
			}
			if mech, err = auth.Start(offer); err != nil {
				return "", nil, err
			}
			resp, err := mech.Step(offer.Challenge)
			if err != nil {
				return "", nil, fmt.Errorf("SASL %s: %w", offer.Mechanism, err)
			}
			if err := send(&hadooppb.RpcSaslProto{
				State: hadooppb.RpcSaslProto_INITIATE.Enum(),
				Token: resp,
				Auths: []*hadooppb.RpcSaslProto_SaslAuth{{
					Method: proto.String(offer.Method), Mechanism: proto.String(offer.Mechanism),
					Protocol: proto.String(offer.Protocol), ServerId: proto.String(offer.ServerID),
				}},
			}); err != nil {
				return "", nil, err
			}
		case hadooppb.RpcSaslProto_CHALLENGE:
			if mech == nil {
				return "", nil, fmt.Errorf("%w: SASL CHALLENGE before NEGOTIATE", ErrMalformed)
			}
			if msg.Token == nil {
				return "", nil, fmt.Errorf("%w: SASL CHALLENGE without a token", ErrMalformed)
			}
			resp, err := mech.Step(msg.Token)
			if err != nil {
				return "", nil, fmt.Errorf("SASL %s: %w", auth.Mechanism(), err)
			}
			if err := send(&hadooppb.RpcSaslProto{State: hadooppb.RpcSaslProto_RESPONSE.Enum(), Token: resp}); err != nil {
				return "", nil, err
			}
		case hadooppb.RpcSaslProto_SUCCESS:
			if mech == nil { // a simple-only server switches us to simple
				return MethodSimple, nil, nil
			}
			if err := mech.Finish(msg.Token); err != nil {
				return "", nil, fmt.Errorf("SASL %s: %w", auth.Mechanism(), err)
			}
			return auth.Method(), mech, nil
		default:
			return "", nil, fmt.Errorf("%w: unexpected SASL state %v", ErrMalformed, msg.GetState())
		}
	}
	return "", nil, fmt.Errorf("%w: SASL negotiation did not finish in 16 rounds", ErrMalformed)
}

// choose picks, in the server's order, the first offer the authenticator
// can serve; failing that SIMPLE when offered.
func choose(auths []*hadooppb.RpcSaslProto_SaslAuth, auth Authenticator) (SASLAuth, bool, error) {
	simple := false
	var names []string
	for _, a := range auths {
		names = append(names, a.GetMethod())
		if a.GetMethod() == MethodSimple {
			simple = true
			continue
		}
		if a.GetMethod() == auth.Method() && a.GetMechanism() == auth.Mechanism() {
			return SASLAuth{
				Method: a.GetMethod(), Mechanism: a.GetMechanism(), Protocol: a.GetProtocol(),
				ServerID: a.GetServerId(), Challenge: a.Challenge,
			}, false, nil
		}
	}
	if simple {
		return SASLAuth{}, true, nil
	}
	return SASLAuth{}, false, &RemoteError{
		Class:   classAccessControl,
		Message: fmt.Sprintf("client cannot authenticate via %s (%s); the server offers [%s]", auth.Method(), auth.Mechanism(), strings.Join(names, ", ")),
		Fatal:   true,
	}
}

// remoteError converts an error response header.
func remoteError(h *hadooppb.RpcResponseHeaderProto, method string) *RemoteError {
	class := h.GetExceptionClassName()
	if class == "" {
		class = "org.apache.hadoop.ipc.RemoteException"
	}
	return &RemoteError{
		Class:   class,
		Message: h.GetErrorMsg(),
		Code:    h.GetErrorDetail(),
		Fatal:   h.GetStatus() == hadooppb.RpcResponseHeaderProto_FATAL,
		Method:  method,
	}
}
