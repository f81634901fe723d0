package device

import "testing"

func TestBIRDIdentity(t *testing.T) {
	cfg := birdNormalize("router id 192.0.2.1;\nprotocol device {}")
	id := birdIdentity(cfg)
	file := cfg + birdTrailer(id)
	if got := splitIdentity(file); got.state != identityValid || got.body != cfg || got.id != id {
		t.Errorf("a file Apply writes: %+v", got)
	}
	if got := splitIdentity(cfg); got.state != identityNone || got.body != cfg {
		t.Errorf("a file without identity: %+v", got)
	}
	edited := "# by hand\n" + file
	if got := splitIdentity(edited); got.state != identityEdited || got.body != "# by hand\n"+cfg {
		t.Errorf("a file edited after peerform wrote it: %+v", got)
	}
	if got := splitIdentity(birdTrailer(birdIdentity(""))); got.state != identityValid || got.body != "" {
		t.Errorf("an empty config: %+v", got)
	}
	if birdIdentity(cfg) == birdIdentity(cfg+"\n") {
		t.Errorf("two configs share an identity")
	}
}
