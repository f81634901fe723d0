package likelihood

// The embedded models are refitted from the public data beside the
// repository (../shared/data: PeeringDB's US networks of 2021-03, CAIDA's
// relationships of 2025-09-01, TopoScope's of 2018-06) by `go generate
// ./internal/decide/likelihood`. The networks of the Meta-Peering paper are excluded from
// training so that they can serve as networks the model never saw.

//go:generate go run ../../../cmd/peerform model fit --peeringdb ../../../../shared/data/peeringdb/us-2021-03 --as-rel ../../../../shared/data/asrel/20250901.as-rel2.txt.bz2 --exclude 11492,209,7843,7922,22773,4181,7029,20940,16509,62955,32934,15169,8075,2906,23520,174,6939,2914,3491,1239,701,6461 --out default.json
//go:generate go run ../../../cmd/peerform model fit --peeringdb ../../../../shared/data/peeringdb/us-2021-03 --as-rel ../../../../shared/data/asrel/20250901.as-rel2.txt.bz2 --relationships ../../../../shared/data/asrel/toposcope_asrel_201806.txt.gz --exclude 11492,209,7843,7922,22773,4181,7029,20940,16509,62955,32934,15169,8075,2906,23520,174,6939,2914,3491,1239,701,6461 --out default-topology.json
