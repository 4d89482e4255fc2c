typedef int vms_placeholder_json;
