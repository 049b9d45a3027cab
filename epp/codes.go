package epp

// Code is an EPP result code (RFC 5730 section 3).
type Code int

// Result codes of RFC 5730 section 3.
const (
	CodeSuccess              Code = 1000
	CodeSuccessPending       Code = 1001
	CodeSuccessNoMessages    Code = 1300
	CodeSuccessAckToDequeue  Code = 1301
	CodeSuccessEndingSession Code = 1500

	CodeUnknownCommand           Code = 2000
	CodeSyntaxError              Code = 2001
	CodeUseError                 Code = 2002
	CodeMissingParameter         Code = 2003
	CodeParameterRangeError      Code = 2004
	CodeParameterSyntaxError     Code = 2005
	CodeUnimplementedVersion     Code = 2100
	CodeUnimplementedCommand     Code = 2101
	CodeUnimplementedOption      Code = 2102
	CodeUnimplementedExtension   Code = 2103
	CodeBillingFailure           Code = 2104
	CodeNotEligibleForRenewal    Code = 2105
	CodeNotEligibleForTransfer   Code = 2106
	CodeAuthenticationError      Code = 2200
	CodeAuthorizationError       Code = 2201
	CodeInvalidAuthInfo          Code = 2202
	CodePendingTransfer          Code = 2300
	CodeNotPendingTransfer       Code = 2301
	CodeObjectExists             Code = 2302
	CodeObjectDoesNotExist       Code = 2303
	CodeStatusProhibits          Code = 2304
	CodeAssociationProhibits     Code = 2305
	CodeParameterPolicyError     Code = 2306
	CodeUnimplementedObject      Code = 2307
	CodeDataManagementViolation  Code = 2308
	CodeCommandFailed            Code = 2400
	CodeCommandFailedClosing     Code = 2500
	CodeAuthenticationErrClosing Code = 2501
	CodeSessionLimitExceeded     Code = 2502
)

var codeMessages = map[Code]string{
	CodeSuccess:                  "Command completed successfully",
	CodeSuccessPending:           "Command completed successfully; action pending",
	CodeSuccessNoMessages:        "Command completed successfully; no messages",
	CodeSuccessAckToDequeue:      "Command completed successfully; ack to dequeue",
	CodeSuccessEndingSession:     "Command completed successfully; ending session",
	CodeUnknownCommand:           "Unknown command",
	CodeSyntaxError:              "Command syntax error",
	CodeUseError:                 "Command use error",
	CodeMissingParameter:         "Required parameter missing",
	CodeParameterRangeError:      "Parameter value range error",
	CodeParameterSyntaxError:     "Parameter value syntax error",
	CodeUnimplementedVersion:     "Unimplemented protocol version",
	CodeUnimplementedCommand:     "Unimplemented command",
	CodeUnimplementedOption:      "Unimplemented option",
	CodeUnimplementedExtension:   "Unimplemented extension",
	CodeBillingFailure:           "Billing failure",
	CodeNotEligibleForRenewal:    "Object is not eligible for renewal",
	CodeNotEligibleForTransfer:   "Object is not eligible for transfer",
	CodeAuthenticationError:      "Authentication error",
	CodeAuthorizationError:       "Authorization error",
	CodeInvalidAuthInfo:          "Invalid authorization information",
	CodePendingTransfer:          "Object pending transfer",
	CodeNotPendingTransfer:       "Object not pending transfer",
	CodeObjectExists:             "Object exists",
	CodeObjectDoesNotExist:       "Object does not exist",
	CodeStatusProhibits:          "Object status prohibits operation",
	CodeAssociationProhibits:     "Object association prohibits operation",
	CodeParameterPolicyError:     "Parameter value policy error",
	CodeUnimplementedObject:      "Unimplemented object service",
	CodeDataManagementViolation:  "Data management policy violation",
	CodeCommandFailed:            "Command failed",
	CodeCommandFailedClosing:     "Command failed; server closing connection",
	CodeAuthenticationErrClosing: "Authentication error; server closing connection",
	CodeSessionLimitExceeded:     "Session limit exceeded; server closing connection",
}

// Message is the RFC 5730 text for c.
func (c Code) Message() string {
	if m, ok := codeMessages[c]; ok {
		return m
	}
	if c < 2000 {
		return "Command completed successfully"
	}
	return "Command failed"
}

// Success reports whether c is a 1xxx code.
func (c Code) Success() bool { return c >= 1000 && c < 2000 }

// Closing reports whether the server closes the connection after
// answering with c (the 25xx codes, and 1500 for logout).
func (c Code) Closing() bool { return c == CodeSuccessEndingSession || (c >= 2500 && c < 2600) }
