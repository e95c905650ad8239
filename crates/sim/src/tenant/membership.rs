//! Changes to group membership: members and owners added and removed (by
//! Graph writes and by `/_sim/mutate`), each taking the tenant's next change
//! sequence number so that `/groups/delta` reports the group, and each member
//! change kept so that delta can say which members came and went.

use super::{MemberRef, Tenant};

/// One change to a group's direct members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberChange {
    /// The change sequence number it took.
    pub seq: u64,
    /// Who.
    pub member: MemberRef,
    /// Added (`true`) or removed.
    pub added: bool,
}

impl Tenant {
    fn touch_group(&mut self, group: usize) -> u64 {
        let seq = self.next_seq();
        self.groups[group].changed_seq = seq;
        seq
    }

    /// Adds `member` to group `group`'s direct members; `false` when it already was one.
    pub fn add_member(&mut self, group: usize, member: MemberRef) -> bool {
        if self.groups[group].members.contains(&member) {
            return false;
        }
        let seq = self.touch_group(group);
        let g = &mut self.groups[group];
        g.members.push(member);
        g.member_log.push(MemberChange {
            seq,
            member,
            added: true,
        });
        true
    }

    /// Removes `member` from group `group`'s direct members; `false` when it was not one.
    pub fn remove_member(&mut self, group: usize, member: MemberRef) -> bool {
        let Some(pos) = self.groups[group].members.iter().position(|m| *m == member) else {
            return false;
        };
        let seq = self.touch_group(group);
        let g = &mut self.groups[group];
        g.members.remove(pos);
        g.member_log.push(MemberChange {
            seq,
            member,
            added: false,
        });
        true
    }

    /// Adds user `user` to group `group`'s owners; `false` when already an owner.
    pub fn add_owner(&mut self, group: usize, user: usize) -> bool {
        if self.groups[group].owners.contains(&user) {
            return false;
        }
        self.touch_group(group);
        self.groups[group].owners.push(user);
        true
    }

    /// Removes user `user` from group `group`'s owners; `false` when not an owner.
    pub fn remove_owner(&mut self, group: usize, user: usize) -> bool {
        let Some(pos) = self.groups[group].owners.iter().position(|o| *o == user) else {
            return false;
        };
        self.touch_group(group);
        self.groups[group].owners.remove(pos);
        true
    }
}

/// The net member changes of a group in `(since, upto]`: the last change of
/// each member, in the order they happened.
pub fn net_changes(log: &[MemberChange], since: u64, upto: u64) -> Vec<MemberChange> {
    let mut out: Vec<MemberChange> = Vec::new();
    for c in log.iter().filter(|c| c.seq > since && c.seq <= upto) {
        out.retain(|o| o.member != c.member);
        out.push(*c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_changes_keep_the_last_change_of_each_member() {
        let c = |seq, i, added| MemberChange {
            seq,
            member: MemberRef::User(i),
            added,
        };
        let log = [c(2, 1, true), c(3, 2, true), c(4, 1, false), c(9, 3, true)];
        assert_eq!(net_changes(&log, 1, 5), vec![c(3, 2, true), c(4, 1, false)]);
        assert_eq!(net_changes(&log, 3, 9), vec![c(4, 1, false), c(9, 3, true)]);
        assert!(net_changes(&log, 9, 9).is_empty());
    }
}
