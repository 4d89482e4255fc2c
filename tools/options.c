typedef int vms_placeholder_options;
