package tftest

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// accountKeyPrefix starts the access key ids the identity service hands out and reads back:
// the key id carries the account, so that any number of provider configurations, each acting
// as an account of its own, share one service without registering anything.
const accountKeyPrefix = "AKIATFTEST"

// AccessKeyFor returns the static access key id that the identity service answers for with
// account.
func AccessKeyFor(account string) string { return accountKeyPrefix + account }

// IdentityService is an HTTP server standing in for AWS STS, for the two calls the AWS
// provider makes while it configures itself: GetCallerIdentity (its account lookup, the check
// of allowed_account_ids, data "aws_caller_identity") and AssumeRole (an assume_role block).
// It trusts every request: it only tells the provider which account it acts as.
type IdentityService struct {
	URL string
}

// StartIdentityService starts an identity service for the test's duration.
func StartIdentityService(t testing.TB) *IdentityService {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(serveIdentity))
	t.Cleanup(srv.Close)
	return &IdentityService{URL: srv.URL}
}

var (
	credentialKey = regexp.MustCompile(`Credential=([A-Za-z0-9]+)/`)
	roleAccount   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/(.+)$`)
)

func serveIdentity(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	key := ""
	if m := credentialKey.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		key = m[1]
	}
	account, ok := strings.CutPrefix(key, accountKeyPrefix)
	if !ok {
		account, ok = strings.CutPrefix(key, assumedKeyPrefix)
	}
	if !ok || len(account) != 12 {
		stsError(w, http.StatusForbidden, "InvalidClientTokenId", fmt.Sprintf("the access key id %q is not one of the test identity service's (%sACCOUNT)", key, accountKeyPrefix))
		return
	}
	switch r.Form.Get("Action") {
	case "GetCallerIdentity":
		writeXML(w, getCallerIdentityResponse{
			Result: callerIdentity{Arn: "arn:aws:iam::" + account + ":user/tftest", UserID: "AIDATFTEST" + account, Account: account},
		})
	case "AssumeRole":
		m := roleAccount.FindStringSubmatch(r.Form.Get("RoleArn"))
		if m == nil {
			stsError(w, http.StatusBadRequest, "ValidationError", "RoleArn is not a role ARN: "+r.Form.Get("RoleArn"))
			return
		}
		session := r.Form.Get("RoleSessionName")
		writeXML(w, assumeRoleResponse{Result: assumeRoleResult{
			Credentials: credentials{
				AccessKeyID: assumedKeyPrefix + m[1], SecretAccessKey: "tftest-secret", SessionToken: "tftest-session",
				Expiration: "2099-01-01T00:00:00Z",
			},
			User: assumedRoleUser{ID: "AROATFTEST" + m[1] + ":" + session, Arn: "arn:aws:sts::" + m[1] + ":assumed-role/" + m[2] + "/" + session},
		}})
	default:
		stsError(w, http.StatusBadRequest, "InvalidAction", "the test identity service answers GetCallerIdentity and AssumeRole only, not "+r.Form.Get("Action"))
	}
}

// assumedKeyPrefix starts the key ids of assumed-role credentials.
const assumedKeyPrefix = "ASIATFTEST"

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type callerIdentity struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

type getCallerIdentityResponse struct {
	XMLName  xml.Name         `xml:"GetCallerIdentityResponse"`
	Xmlns    string           `xml:"xmlns,attr"`
	Result   callerIdentity   `xml:"GetCallerIdentityResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type credentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumedRoleUser struct {
	ID  string `xml:"AssumedRoleId"`
	Arn string `xml:"Arn"`
}

type assumeRoleResult struct {
	Credentials credentials     `xml:"Credentials"`
	User        assumedRoleUser `xml:"AssumedRoleUser"`
}

type assumeRoleResponse struct {
	XMLName  xml.Name         `xml:"AssumeRoleResponse"`
	Xmlns    string           `xml:"xmlns,attr"`
	Result   assumeRoleResult `xml:"AssumeRoleResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

func writeXML(w http.ResponseWriter, v any) {
	switch r := v.(type) {
	case getCallerIdentityResponse:
		r.Xmlns, r.Metadata.RequestID = stsNamespace, "tftest"
		v = r
	case assumeRoleResponse:
		r.Xmlns, r.Metadata.RequestID = stsNamespace, "tftest"
		v = r
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(v)
}

func stsError(w http.ResponseWriter, status int, code, msg string) {
	var e errorResponse
	e.Xmlns, e.RequestID = stsNamespace, "tftest"
	e.Error.Type, e.Error.Code, e.Error.Message = "Sender", code, msg
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(e)
}
