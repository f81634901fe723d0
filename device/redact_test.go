package device

import "testing"

func TestRedactSecretsFRRAndBIRD(t *testing.T) {
	for _, tc := range []struct {
		d        SecretRedactor
		in, want string
	}{
		{&FRR{}, " neighbor 192.0.2.142 password s3cr&t", " neighbor 192.0.2.142 password <secret>"},
		{&FRR{}, " neighbor 192.0.2.142 remote-as 20940", " neighbor 192.0.2.142 remote-as 20940"},
		{&BIRD{}, `  password "s3cr t";`, `  password "<secret>";`},
		{&BIRD{}, `  description "password";`, `  description "password";`},
	} {
		if got := tc.d.RedactSecrets(tc.in); got != tc.want {
			t.Errorf("%T.RedactSecrets(%q) = %q, want %q", tc.d, tc.in, got, tc.want)
		}
	}
}
