typedef int vms_placeholder_replay;
