package dev.sotto.node.cli;

import dev.sotto.node.Node;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "group", header = "Creates groups and manages their members.",
    description = {"Creates groups and manages their members (spec: group.adoc).",
        "",
        "A group message is sealed once and left once at the group's mailbox (your node's own, when you create "
            + "it), where every member fetches it; each member's keys reach the others in your pairwise sessions, "
            + "so every member must be a contact of yours. A member you remove gets no new keys: it keeps fetching "
            + "and reads nothing sent after its removal. Name a group by its name or its id ('sotto group list'). "
            + "'sotto send --group GROUP TEXT' writes to a group, 'sotto history --group GROUP' shows it."},
    subcommands = {GroupCommand.Create.class, GroupCommand.Add.class, GroupCommand.Remove.class,
        GroupCommand.Leave.class, GroupCommand.Rename.class, GroupCommand.Promote.class, GroupCommand.ListGroups.class,
        GroupCommand.Members.class})
final class GroupCommand extends Cmd {
  @Override
  int execute() {
    spec.commandLine().usage(io().err());
    return Failure.USAGE;
  }

  @Command(name = "create", header = "Creates a group of which you are the only member and an admin.")
  static final class Create extends Cmd {
    @Parameters(index = "0", paramLabel = "NAME", description = "The group's name: 1 to 64 bytes of UTF-8.")
    String name;

    @Override
    int execute() throws Exception {
      if (name.isBlank() || name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 64) {
        throw Failure.input("a group's name is 1 to 64 bytes of UTF-8");
      }
      try (Node node = openNode()) {
        String id = node.groupCreate(name);
        io().out().println("created group " + name + " (" + id + "); add members with 'sotto group add " + name
            + " CONTACT'");
      }
      return 0;
    }
  }

  @Command(name = "add", header = "Adds a contact to a group (you must be an admin); it is welcomed in your session.")
  static final class Add extends Cmd {
    @Parameters(index = "0", paramLabel = "GROUP", description = "The group's name or id.")
    String group;

    @Parameters(index = "1", paramLabel = "CONTACT", description = "The contact to add.")
    String contact;

    @Override
    int execute() throws Exception {
      try (Node node = openNode()) {
        node.groupAdd(group, contact);
        io().out().println("added " + contact + " to " + group);
      }
      return 0;
    }
  }

  @Command(name = "remove", header = "Removes a member from a group (you must be an admin).")
  static final class Remove extends Cmd {
    @Parameters(index = "0", paramLabel = "GROUP", description = "The group's name or id.")
    String group;

    @Parameters(index = "1", paramLabel = "CONTACT", description = "The member to remove (a contact's name).")
    String member;

    @Override
    int execute() throws Exception {
      try (Node node = openNode()) {
        node.groupRemove(group, member);
        io().out().println("removed " + member + " from " + group + ": it reads nothing sent from now on");
      }
      return 0;
    }
  }

  @Command(name = "promote", header = "Makes a member an admin of a group (you must be an admin).",
      description = {"An admin may add, remove, promote and rename; a member may only leave. The change is signed "
          + "by you and seen by every member (spec: group.adoc#group-apply)."})
  static final class Promote extends Cmd {
    @Parameters(index = "0", paramLabel = "GROUP", description = "The group's name or id.")
    String group;

    @Parameters(index = "1", paramLabel = "CONTACT", description = "The member to make an admin (a contact's name).")
    String member;

    @Override
    int execute() throws Exception {
      try (Node node = openNode()) {
        node.groupPromote(group, member);
        io().out().println("made " + member + " an admin of " + group);
      }
      return 0;
    }
  }

  @Command(name = "leave", header = "Leaves a group.")
  static final class Leave extends Cmd {
    @Parameters(index = "0", paramLabel = "GROUP", description = "The group's name or id.")
    String group;

    @Override
    int execute() throws Exception {
      try (Node node = openNode()) {
        node.groupLeave(group);
        io().out().println("left " + group);
      }
      return 0;
    }
  }

  @Command(name = "rename", header = "Renames a group (you must be an admin).")
  static final class Rename extends Cmd {
    @Parameters(index = "0", paramLabel = "GROUP", description = "The group's name or id.")
    String group;

    @Parameters(index = "1", paramLabel = "NAME", description = "The new name.")
    String name;

    @Override
    int execute() throws Exception {
      try (Node node = openNode()) {
        node.groupRename(group, name);
        io().out().println("renamed " + group + " to " + name);
      }
      return 0;
    }
  }

  @Command(name = "list", header = "Lists your groups, those you left or were removed from included.")
  static final class ListGroups extends Cmd {
    @Override
    int execute() throws Exception {
      try (Node node = openNode()) {
        List<Node.GroupInfo> groups = node.groups();
        if (groups.isEmpty()) {
          io().out().println("no groups");
        }
        for (Node.GroupInfo g : groups) {
          io().out().println(g.name() + "  " + g.id() + "  " + g.members() + (g.members() == 1 ? " member" : " members")
              + (g.member() ? "" : "  (you are no longer a member)"));
        }
      }
      return 0;
    }
  }

  @Command(name = "members", header = "Lists a group's members, admins marked.")
  static final class Members extends Cmd {
    @Parameters(index = "0", paramLabel = "GROUP", description = "The group's name or id.")
    String group;

    @Override
    int execute() throws Exception {
      try (Node node = openNode()) {
        for (Node.GroupMember m : node.groupMembers(group)) {
          io().out().println(m.name() + (m.admin() ? "  (admin)" : "") + "  " + m.fingerprint().substring(0, 16));
        }
      }
      return 0;
    }
  }
}
