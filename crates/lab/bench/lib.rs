//! Nothing here: see benches/datapath.rs.
